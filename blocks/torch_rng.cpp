// blocks/torch_rng.cpp — torch's CPU mt19937 generator and its float32 randn, bit for bit.
//
// This file is compiled with -ffp-contract=off (see CMakeLists.txt): the AVX2 emulation below
// spells out every fused multiply-add that GCC emitted when it built torch's kernel, and the
// compiler must not fuse anything else.
#include "blocks/torch_rng.h"

#include <weft/error.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

namespace weft::models {

namespace {

uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// Cephes single-precision natural log as in torch's avx_mathfun.h (log256_ps), one lane.
float cephes_logf(float x) {
    const bool invalid = !(x > 0.0f);
    x = std::max(x, bits_float(0x00800000u));  // smallest normal: cut off denormals
    const uint32_t bits = float_bits(x);
    float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 0x7f);
    e = e + 1.0f;
    x = bits_float((bits & ~0x7f800000u) | float_bits(0.5f));  // mantissa in [0.5, 1)
    const bool below = x < 0.707106781186547524f;
    const float tmp = below ? x : 0.0f;
    x = x - 1.0f;
    e = e - (below ? 1.0f : 0.0f);
    x = x + tmp;
    const float z = x * x;
    float y = 7.0376836292E-2f;
    y = std::fmaf(y, x, -1.1514610310E-1f);
    y = std::fmaf(y, x, 1.1676998740E-1f);
    y = std::fmaf(y, x, -1.2420140846E-1f);
    y = std::fmaf(y, x, 1.4249322787E-1f);
    y = std::fmaf(y, x, -1.6668057665E-1f);
    y = std::fmaf(y, x, 2.0000714765E-1f);
    y = std::fmaf(y, x, -2.4999993993E-1f);
    y = std::fmaf(y, x, 3.3333331174E-1f);
    y = y * x;
    y = std::fmaf(y, z, e * -2.12194440e-4f);
    y = std::fmaf(-z, 0.5f, y);
    x = x + y;
    x = std::fmaf(e, 0.693359375f, x);
    return invalid ? std::numeric_limits<float>::quiet_NaN() : x;
}

// Cephes single-precision sincos as in avx_mathfun.h (sincos256_ps), one lane.
void cephes_sincosf(float theta, float& s, float& c) {
    uint32_t sign_sin = float_bits(theta) & 0x80000000u;
    float x = std::fabs(theta);
    int32_t j = static_cast<int32_t>(x * 1.27323954473516f);  // truncation, as cvttps
    j = (j + 1) & ~1;
    const float y = static_cast<float>(j);
    const uint32_t swap_sin = static_cast<uint32_t>(j & 4) << 29;
    const bool poly_cos_first = (j & 2) == 0;
    x = std::fmaf(y, -0.78515625f, x);
    x = std::fmaf(y, -2.4187564849853515625e-4f, x);
    x = std::fmaf(y, -3.77489497744594108e-8f, x);
    const uint32_t sign_cos = static_cast<uint32_t>(~(j - 2) & 4) << 29;
    sign_sin ^= swap_sin;
    const float z = x * x;
    float yc = std::fmaf(std::fmaf(2.443315711809948E-5f, z, -1.388731625493765E-3f), z,
                         4.166664568298827E-2f);
    yc = yc * z;
    yc = std::fmaf(yc, z, -(z * 0.5f));
    yc = yc + 1.0f;
    float ys = std::fmaf(std::fmaf(-1.9515295891E-4f, z, 8.3321608736E-3f), z, -1.6666654611E-1f);
    ys = ys * z;
    ys = std::fmaf(ys, x, x);
    const float sp = poly_cos_first ? ys : yc;
    const float cp = poly_cos_first ? yc : ys;
    s = bits_float(float_bits(sp) ^ sign_sin);
    c = bits_float(float_bits(cp) ^ sign_cos);
}

// Box-Muller over 16 uniforms in place: d[j] and d[j+8] become a normal pair (mean 0, std 1).
void normal_fill_16(float* d, NormalKernel kernel) {
    if (kernel == NormalKernel::Avx2) {
        const float two_pi = static_cast<float>(2.0f * std::numbers::pi);
        for (int j = 0; j < 8; ++j) {
            const float u1 = 1.0f - d[j];
            const float u2 = d[j + 8];
            const float radius = std::sqrt(-2.0f * cephes_logf(u1));
            const float theta = two_pi * u2;
            float s, c;
            cephes_sincosf(theta, s, c);
            d[j] = std::fmaf(radius * c, 1.0f, 0.0f);
            d[j + 8] = std::fmaf(radius * s, 1.0f, 0.0f);
        }
    } else {
        for (int j = 0; j < 8; ++j) {
            const float u1 = 1.0f - d[j];
            const float u2 = d[j + 8];
            const float radius = std::sqrt(-2.0f * std::log(u1));
            const float theta = static_cast<float>(2.0f * std::numbers::pi * u2);
            d[j] = radius * std::cos(theta) * 1.0f + 0.0f;
            d[j + 8] = radius * std::sin(theta) * 1.0f + 0.0f;
        }
    }
}

}  // namespace

TorchGenerator::TorchGenerator(uint64_t seed, NormalKernel kernel) : kernel_(kernel) { manual_seed(seed); }

void TorchGenerator::manual_seed(uint64_t seed) {
    seed_ = seed;
    // mt19937 keeps only the low 32 bits of the seed.
    state_[0] = static_cast<uint32_t>(seed & 0xffffffffu);
    for (uint32_t j = 1; j < 624; ++j)
        state_[j] = 1812433253u * (state_[j - 1] ^ (state_[j - 1] >> 30)) + j;
    left_ = 1;
    next_ = 0;
    next_double_normal_.reset();
}

void TorchGenerator::twist() {
    constexpr int N = 624, M = 397;
    auto mix = [](uint32_t u, uint32_t v) {
        const uint32_t m = (u & 0x80000000u) | (v & 0x7fffffffu);
        return (m >> 1) ^ ((v & 1u) ? 0x9908b0dfu : 0u);
    };
    int k = 0;
    for (; k < N - M; ++k) state_[k] = state_[k + M] ^ mix(state_[k], state_[k + 1]);
    for (; k < N - 1; ++k) state_[k] = state_[k + M - N] ^ mix(state_[k], state_[k + 1]);
    state_[N - 1] = state_[M - 1] ^ mix(state_[N - 1], state_[0]);
    left_ = N;
    next_ = 0;
}

uint32_t TorchGenerator::random() {
    if (--left_ == 0) twist();
    uint32_t y = state_[next_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t TorchGenerator::random64() {
    const uint64_t hi = random();
    const uint64_t lo = random();
    return (hi << 32) | lo;
}

double TorchGenerator::normal_double() {
    if (next_double_normal_) {
        const double v = *next_double_normal_;
        next_double_normal_.reset();
        return v;
    }
    const double scale = 1.0 / static_cast<double>(1ull << 53);
    const double u1 = static_cast<double>(random64() & ((1ull << 53) - 1)) * scale;
    const double u2 = static_cast<double>(random64() & ((1ull << 53) - 1)) * scale;
    const double r = std::sqrt(-2.0 * std::log1p(-u2));
    const double theta = 2.0 * std::numbers::pi * u1;
    next_double_normal_ = r * std::sin(theta);
    return r * std::cos(theta);
}

void TorchGenerator::randn(float* out, int64_t n) {
    if (n <= 0) return;
    if (n < 16) {
        // torch's serial path: one double-precision normal per element.
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(normal_double());
        return;
    }
    constexpr float kInv24 = 1.0f / 16777216.0f;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(random() & 0xffffffu) * kInv24;
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_fill_16(out + i, kernel_);
    if (n % 16 != 0) {
        // The tail: 16 fresh uniforms overwrite the last 16 values.
        float* tail = out + n - 16;
        for (int i = 0; i < 16; ++i) tail[i] = static_cast<float>(random() & 0xffffffu) * kInv24;
        normal_fill_16(tail, kernel_);
    }
}

Tensor TorchGenerator::randn(const Shape& shape) {
    Tensor t = Tensor::zeros(shape, DType::F32);
    randn(t.data<float>(), t.numel());
    return t;
}

Tensor prepare_noise(const Shape& latent_shape, uint64_t seed, const std::vector<int64_t>* batch_index,
                     NormalKernel kernel) {
    TorchGenerator gen(seed, kernel);
    if (batch_index == nullptr || batch_index->empty()) return gen.randn(latent_shape);
    if (latent_shape.empty())
        throw Error(ErrorCode::InvalidInput, "prepare_noise: a batch_index needs a batched latent shape");
    const int64_t max_index = *std::max_element(batch_index->begin(), batch_index->end());
    if (*std::min_element(batch_index->begin(), batch_index->end()) < 0)
        throw Error(ErrorCode::InvalidInput, "prepare_noise: negative batch_index");
    Shape one = latent_shape;
    one[0] = 1;
    const int64_t per = shape_numel(one);
    // Draw per-image noise for 0..max in order; only the indices in use are kept.
    std::vector<Tensor> drawn(static_cast<size_t>(max_index + 1));
    std::vector<bool> used(drawn.size(), false);
    for (int64_t b : *batch_index) used[static_cast<size_t>(b)] = true;
    for (int64_t i = 0; i <= max_index; ++i) {
        Tensor t = gen.randn(one);
        if (used[static_cast<size_t>(i)]) drawn[static_cast<size_t>(i)] = t;
    }
    Shape out_shape = latent_shape;
    out_shape[0] = static_cast<int64_t>(batch_index->size());
    Tensor out = Tensor::zeros(out_shape, DType::F32);
    float* dst = out.data<float>();
    for (size_t k = 0; k < batch_index->size(); ++k)
        std::memcpy(dst + static_cast<int64_t>(k) * per, drawn[static_cast<size_t>((*batch_index)[k])].data<float>(),
                    static_cast<size_t>(per) * sizeof(float));
    return out;
}

}  // namespace weft::models
