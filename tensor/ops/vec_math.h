// tensor/ops/vec_math.h — branch-free float approximations of exp, erf, tanh and sigmoid written so
// that gcc vectorises the loops that call them (libm's scalar calls would not be).
//
// Accuracy (checked in tests/tensor/test_ops_activations.cpp against double libm): exp relative
// error below 3e-7 on [-87, 88]; erf absolute error below 3e-7.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace weft::ops::vm {

/// e^x; 0 below -87.3, e^88.3 (about 2.2e38) above 88.3, so the result is always finite.
inline float exp(float x) {
    const float xc = std::min(std::max(x, -87.3f), 88.3f);
    // x = n·ln2 + r with |r| <= ln2/2; the magic constant rounds to nearest without a call.
    const float t = xc * 1.44269504f + 12582912.0f;
    const float n = t - 12582912.0f;
    const float r = (xc - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t e = (static_cast<int32_t>(n) + 127) << 23;
    const float v = p * std::bit_cast<float>(e);
    return x < -87.3f ? 0.0f : v;
}

/// 1 / (1 + e^-x).
inline float sigmoid(float x) { return 1.0f / (1.0f + vm::exp(-x)); }

/// tanh via 1 − 2/(e^{2x} + 1) (saturates correctly at both ends).
inline float tanh(float x) { return 1.0f - 2.0f / (vm::exp(2.0f * x) + 1.0f); }

/// erf from a Chebyshev-fitted erfc (fractional error < 1.2e-7, Numerical Recipes' erfcc form).
inline float erf(float x) {
    const float z = std::abs(x);
    const float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    const float erfc = t * vm::exp(-z * z + p);
    const float r = 1.0f - erfc;
    return x < 0.0f ? -r : r;
}

inline float gelu_erf(float x) { return 0.5f * x * (1.0f + vm::erf(x * 0.70710678118654752f)); }

inline float gelu_tanh(float x) {
    return 0.5f * x * (1.0f + vm::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}

}  // namespace weft::ops::vm

namespace weft::ops::vm {

// Reductions with independent lanes: without -ffast-math gcc may not reorder a running sum, but it
// does vectorise sixteen separate accumulators.
inline double sum(const float* x, int64_t n) {
    double acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; ++l) acc[l] += x[i + l];
    double s = 0;
    for (; i < n; ++i) s += x[i];
    for (double a : acc) s += a;
    return s;
}

/// Σ (x − mean)².
inline double sum_sq_dev(const float* x, int64_t n, double mean) {
    double acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; ++l) {
            const double d = x[i + l] - mean;
            acc[l] += d * d;
        }
    double s = 0;
    for (; i < n; ++i) s += (x[i] - mean) * (x[i] - mean);
    for (double a : acc) s += a;
    return s;
}

inline float max(const float* x, int64_t n) {
    // gcc keeps a 16-accumulator max scalar (NaN ordering); a vector type makes it one vmaxps.
    typedef float v16 __attribute__((vector_size(64)));
    v16 acc;
    for (int l = 0; l < 16; ++l) acc[l] = -__builtin_inff();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16 v;
        __builtin_memcpy(&v, x + i, sizeof v);
        acc = acc > v ? acc : v;
    }
    float m = -__builtin_inff();
    for (; i < n; ++i) m = m > x[i] ? m : x[i];
    for (int l = 0; l < 16; ++l) m = m > acc[l] ? m : acc[l];
    return m;
}

/// dst[i] = e^(src[i] − shift); returns the sum of dst (float lanes).
inline float exp_shifted(const float* src, float* dst, int64_t n, float shift) {
    float acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; ++l) acc[l] += (dst[i + l] = vm::exp(src[i + l] - shift));
    float s = 0;
    for (; i < n; ++i) s += (dst[i] = vm::exp(src[i] - shift));
    for (float a : acc) s += a;
    return s;
}

}  // namespace weft::ops::vm

namespace weft::ops::vm {

/// dst[i] = bf16(e^(src[i] − shift)) rounded to nearest even; returns the sum of the f32 values.
/// For attention's probabilities in bf16 mode: one pass instead of an exp pass and a conversion
/// pass, and a degree-5 polynomial (relative error below 3e-6, far under bf16's 3.9e-3 step).
/// Written with vector types: gcc would otherwise pick 256-bit vectors for this loop.
inline float exp_shifted_to_bf16(const float* src, uint16_t* dst, int64_t n, float shift) {
    typedef float v16f __attribute__((vector_size(64)));
    typedef int32_t v16i __attribute__((vector_size(64)));
    typedef uint32_t v16u __attribute__((vector_size(64)));
    typedef uint16_t v16h __attribute__((vector_size(32)));
    auto splat = [](float v) { return v16f{} + v; };
    v16f acc{};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f x;
        __builtin_memcpy(&x, src + i, sizeof x);
        x = x - shift;
        const v16i dead = x < -87.3f;  // e^x underflows: exactly 0, as vm::exp gives
        x = x > -87.3f ? x : splat(-87.3f);
        x = x < 88.3f ? x : splat(88.3f);
        const v16f t = x * 1.44269504f + 12582912.0f;
        const v16f k = t - 12582912.0f;
        const v16f r = (x - k * 0.693145751953125f) - k * 1.428606765330187e-06f;
        v16f p = splat(1.0f / 120.0f);
        p = p * r + 1.0f / 24.0f;
        p = p * r + 1.0f / 6.0f;
        p = p * r + 0.5f;
        p = p * r + 1.0f;
        p = p * r + 1.0f;
        const v16i e = (__builtin_convertvector(k, v16i) + 127) << 23;
        v16f v = p * (v16f)e;
        v = dead ? splat(0.0f) : v;
        acc += v;
        v16u u = (v16u)v;
        u = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
        const v16h h = __builtin_convertvector(u, v16h);
        __builtin_memcpy(dst + i, &h, sizeof h);
    }
    float s = 0;
    for (; i < n; ++i) {
        const float v = vm::exp(src[i] - shift);
        s += v;
        uint32_t u = std::bit_cast<uint32_t>(v);
        dst[i] = static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    }
    for (int l = 0; l < 16; ++l) s += acc[l];
    return s;
}

}  // namespace weft::ops::vm
