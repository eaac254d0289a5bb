// core/convert.cpp — f16 / bf16 / f8 <-> f32 element conversions (scalar reference + SIMD paths).
#include "core/convert.h"

#include <weft/error.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>

#if defined(__x86_64__) && (defined(__F16C__) || defined(__AVX512F__))
// GCC 12 reports its own AVX-512 intrinsic headers' "undefined" placeholders as uninitialised.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace weft {

// ---- scalar reference ------------------------------------------------------------------------

float f16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        // Zero or subnormal: mant * 2^-24 is exact in f32.
        const float mag = static_cast<float>(mant) * 0x1p-24f;
        return std::bit_cast<float>(std::bit_cast<uint32_t>(mag) | sign);
    }
    if (exp == 31) {
        // Inf, or NaN made quiet (the hardware converter does the same).
        const uint32_t quiet = mant ? 0x400000u : 0u;
        return std::bit_cast<float>(sign | 0x7f800000u | quiet | (mant << 13));
    }
    return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t f32_to_f16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    uint32_t a = bits & 0x7fffffffu;
    if (a >= 0x7f800000u) {  // Inf / NaN
        if (a == 0x7f800000u) return sign | 0x7c00u;
        return static_cast<uint16_t>(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    }
    if (a >= 0x477ff000u) return sign | 0x7c00u;  // rounds past 65504
    if (a < 0x38800000u) {
        // Below the smallest normal half: adding 0.5 puts the value's bits at half-subnormal
        // resolution (ulp 2^-24) and lets the FPU round to nearest even.
        const float r = std::bit_cast<float>(a) + 0.5f;
        return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(r) - 0x3f000000u));
    }
    const uint32_t odd = (a >> 13) & 1u;
    a += (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu + odd;
    return static_cast<uint16_t>(sign | (a >> 13));
}

float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t f32_to_bf16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
    return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

namespace {

// Decodes an 8-bit float with `E` exponent bits, `M` mantissa bits and bias 2^(E-1)-1.
template <int E, int M>
float f8_decode(uint8_t v, bool e4m3fn) {
    constexpr int bias = (1 << (E - 1)) - 1;
    const bool neg = v & 0x80u;
    const int exp = (v >> M) & ((1 << E) - 1);
    const int mant = v & ((1 << M) - 1);
    float mag;
    if (e4m3fn && exp == (1 << E) - 1 && mant == (1 << M) - 1) {
        mag = std::numeric_limits<float>::quiet_NaN();
    } else if (!e4m3fn && exp == (1 << E) - 1) {
        mag = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    } else if (exp == 0) {
        mag = std::ldexp(static_cast<float>(mant), 1 - bias - M);
    } else {
        mag = std::ldexp(1.0f + static_cast<float>(mant) / (1 << M), exp - bias);
    }
    return neg ? -mag : mag;
}

// Encodes with round-to-nearest-even; overflow gives NaN for e4m3fn and infinity otherwise.
template <int E, int M>
uint8_t f8_encode(float f, bool e4m3fn) {
    constexpr int bias = (1 << (E - 1)) - 1;
    constexpr int emin = 1 - bias;
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    const uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80u);
    const uint8_t nan = e4m3fn ? 0x7f : static_cast<uint8_t>((((1 << E) - 1) << M) | (1 << (M - 1)));
    const uint8_t overflow = e4m3fn ? 0x7f : static_cast<uint8_t>(((1 << E) - 1) << M);
    uint32_t a = bits & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | nan;
    if (a == 0x7f800000u) return sign | overflow;
    const float af = std::bit_cast<float>(a);
    if (af < std::ldexp(1.0f, emin)) {
        // Subnormal range: count units of 2^(emin-M); q == 2^M lands exactly on the smallest normal.
        const float q = std::nearbyint(std::ldexp(af, M - emin));
        return sign | static_cast<uint8_t>(q);
    }
    constexpr int shift = 23 - M;
    a += (1u << (shift - 1)) - 1u + ((a >> shift) & 1u);
    const int exp = static_cast<int>(a >> 23) - 127 + bias;
    const int mant = static_cast<int>((a >> shift) & ((1u << M) - 1u));
    if (e4m3fn) {
        if (exp > (1 << E) - 1 || (exp == (1 << E) - 1 && mant == (1 << M) - 1)) return sign | overflow;
    } else if (exp >= (1 << E) - 1) {
        return sign | overflow;
    }
    return sign | static_cast<uint8_t>((exp << M) | mant);
}

}  // namespace

float f8e4m3_to_f32(uint8_t v) { return f8_decode<4, 3>(v, true); }
uint8_t f32_to_f8e4m3(float f) { return f8_encode<4, 3>(f, true); }
float f8e5m2_to_f32(uint8_t v) { return f8_decode<5, 2>(v, false); }
uint8_t f32_to_f8e5m2(float f) { return f8_encode<5, 2>(f, false); }

// ---- span conversions -------------------------------------------------------------------------

namespace {

void check_sizes(size_t in, size_t out, const char* what) {
    if (in != out)
        throw Error(ErrorCode::TensorError, std::string(what) + ": input has " + std::to_string(in) +
                                        " elements but output has " + std::to_string(out));
}

// Splits big buffers across TBB workers; small ones run inline (the split is not worth it).
template <class F>
void chunked(size_t n, F&& body) {
    constexpr size_t grain = size_t{1} << 16;
    if (n <= grain) {
        body(size_t{0}, n);
        return;
    }
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, grain),
                      [&](const tbb::blocked_range<size_t>& r) { body(r.begin(), r.end()); });
}

void f16_to_f32_block(const uint16_t* in, float* out, size_t n) {
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i))));
#elif defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
#endif
    for (; i < n; ++i) out[i] = f16_to_f32(in[i]);
}

void f32_to_f16_block(const float* in, uint16_t* out, size_t n) {
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#elif defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#endif
    for (; i < n; ++i) out[i] = f32_to_f16(in[i]);
}

void bf16_to_f32_block(const uint16_t* in, float* out, size_t n) {
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) {
        const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i)));
        _mm512_storeu_si512(out + i, _mm512_slli_epi32(w, 16));
    }
#endif
    for (; i < n; ++i) out[i] = bf16_to_f32(in[i]);
}

void f32_to_bf16_block(const float* in, uint16_t* out, size_t n) {
    size_t i = 0;
#if defined(__AVX512F__)
    // Integer round-to-nearest-even (not VCVTNEPS2BF16, which flushes subnormals to zero).
    const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff), quiet = _mm512_set1_epi32(0x40);
    for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(in + i);
        const __m512i bits = _mm512_castps_si512(x);
        const __m512i hi = _mm512_srli_epi32(bits, 16);
        const __m512i rounded = _mm512_srli_epi32(
            _mm512_add_epi32(_mm512_add_epi32(bits, bias), _mm512_and_si512(hi, one)), 16);
        const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        const __m512i r = _mm512_mask_blend_epi32(nan, rounded, _mm512_or_si512(hi, quiet));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm512_cvtepi32_epi16(r));
    }
#endif
    for (; i < n; ++i) out[i] = f32_to_bf16(in[i]);
}

}  // namespace

void convert_f16_to_f32(std::span<const uint16_t> in, std::span<float> out) {
    check_sizes(in.size(), out.size(), "convert_f16_to_f32");
    chunked(in.size(), [&](size_t b, size_t e) { f16_to_f32_block(in.data() + b, out.data() + b, e - b); });
}

void convert_f32_to_f16(std::span<const float> in, std::span<uint16_t> out) {
    check_sizes(in.size(), out.size(), "convert_f32_to_f16");
    chunked(in.size(), [&](size_t b, size_t e) { f32_to_f16_block(in.data() + b, out.data() + b, e - b); });
}

void convert_bf16_to_f32(std::span<const uint16_t> in, std::span<float> out) {
    check_sizes(in.size(), out.size(), "convert_bf16_to_f32");
    chunked(in.size(), [&](size_t b, size_t e) { bf16_to_f32_block(in.data() + b, out.data() + b, e - b); });
}

void convert_f32_to_bf16(std::span<const float> in, std::span<uint16_t> out) {
    check_sizes(in.size(), out.size(), "convert_f32_to_bf16");
    chunked(in.size(), [&](size_t b, size_t e) { f32_to_bf16_block(in.data() + b, out.data() + b, e - b); });
}

const char* convert_backend() {
#if defined(__AVX512F__)
    return "avx512";
#elif defined(__F16C__)
    return "f16c";
#else
    return "scalar";
#endif
}

}  // namespace weft
