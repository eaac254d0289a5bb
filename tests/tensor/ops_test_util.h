// tests/tensor/ops_test_util.h — random inputs and the error measure the op tests use.
//
// Error measure: max |fast − ref| / max |ref| over the whole tensor (a max-norm relative error, in
// the spirit of ggml's NMSE but insensitive to a few tiny reference values). fp32 paths must stay
// within 1e-5 of the double-accumulating reference, bf16 paths within 1e-2.
#pragma once

#include <gtest/gtest.h>

#include <weft/tensor.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace weft::ops_test {

inline constexpr double kTolF32 = 1e-5;
inline constexpr double kTolBF16 = 1e-2;

inline Tensor random(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    Tensor t = Tensor::zeros(shape);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(gen);
    return t;
}

/// max |a − ref| / max |ref|; +inf when shapes differ or a value is not finite.
inline double rel_err(const Tensor& a0, const Tensor& ref0) {
    if (a0.shape() != ref0.shape()) return INFINITY;
    Tensor a = a0.to(DType::F32).contiguous(), ref = ref0.to(DType::F32).contiguous();
    double num = 0, den = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        const double x = a.data<float>()[i], r = ref.data<float>()[i];
        if (!std::isfinite(x)) return INFINITY;
        num = std::max(num, std::abs(x - r));
        den = std::max(den, std::abs(r));
    }
    return den == 0 ? num : num / den;
}

}  // namespace weft::ops_test

#define EXPECT_CLOSE(fast, ref, tol)                                                                       \
    do {                                                                                                   \
        const ::weft::Tensor f_ = (fast), r_ = (ref);                                                       \
        ASSERT_EQ(f_.shape(), r_.shape()) << f_.describe() << " vs " << r_.describe();                     \
        EXPECT_LE(::weft::ops_test::rel_err(f_, r_), (tol)) << "shape " << r_.describe();                 \
    } while (0)
