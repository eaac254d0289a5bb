#include "ops_test_util.h"

#include "tensor/ops/elementwise.h"
#include "tensor/ops/reference.h"
#include "tensor/ops/vec_math.h"

#include <weft/error.h>

#include <bit>
#include <cmath>
#include <vector>

using namespace weft;
using weft::ops_test::random;
using weft::ops_test::kTolF32;

namespace {

TEST(OpsVecMath, ExpMatchesLibm) {
    double worst = 0;
    for (double x = -87.0; x <= 88.0; x += 0.0137) {
        // Compare against exp of the float-rounded argument: the input rounding is not the kernel's error.
        const double want = std::exp(double(float(x))), got = ops::vm::exp(float(x));
        worst = std::max(worst, std::abs(got - want) / want);
    }
    EXPECT_LT(worst, 3e-7);
    EXPECT_EQ(ops::vm::exp(-1000.0f), 0.0f);
    EXPECT_EQ(ops::vm::exp(-INFINITY), 0.0f);
    EXPECT_TRUE(std::isfinite(ops::vm::exp(1000.0f)));
}

TEST(OpsVecMath, ExpShiftedToBf16RoundsTheExactExponential) {
    // Attention's bf16 probabilities: e^(x - shift) rounded to nearest-even bf16, and the f32 sum.
    for (int64_t n : {1, 15, 16, 17, 100, 515}) {
        std::vector<float> x(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) x[size_t(i)] = -30.0f + 31.0f * float((i * 37) % 101) / 100.0f;
        if (n > 3) x[2] = -INFINITY;  // a masked key
        std::vector<uint16_t> out(static_cast<size_t>(n));
        const float shift = 0.75f;
        const float sum = ops::vm::exp_shifted_to_bf16(x.data(), out.data(), n, shift);
        double want_sum = 0;
        for (int64_t i = 0; i < n; ++i) {
            const double e = std::exp(double(x[size_t(i)]) - shift);
            want_sum += e;
            const float got = std::bit_cast<float>(uint32_t(out[size_t(i)]) << 16);
            EXPECT_LE(std::abs(got - e), e * (1.0 / 256) + 1e-30) << n << " " << i;  // within bf16's half step
        }
        if (n > 3) EXPECT_EQ(out[2], 0);
        EXPECT_NEAR(sum, want_sum, 1e-5 * want_sum) << n;
    }
}

TEST(OpsVecMath, ErfAndTanhMatchLibm) {
    double erf_worst = 0, tanh_worst = 0;
    for (double x = -6.0; x <= 6.0; x += 0.001) {
        const float xf = float(x);
        erf_worst = std::max(erf_worst, std::abs(ops::vm::erf(xf) - std::erf(double(xf))));
        tanh_worst = std::max(tanh_worst, std::abs(ops::vm::tanh(xf) - std::tanh(double(xf))));
    }
    EXPECT_LT(erf_worst, 3e-7);
    EXPECT_LT(tanh_worst, 5e-7);
    EXPECT_FLOAT_EQ(ops::vm::tanh(100.0f), 1.0f);
    EXPECT_FLOAT_EQ(ops::vm::tanh(-100.0f), -1.0f);
}

TEST(OpsActivations, MatchReference) {
    for (const Shape& s : {Shape{3, 7, 11}, Shape{1, 20000}, Shape{5}}) {
        Tensor x = random(s, 7, -8.0f, 8.0f);
        EXPECT_CLOSE(ops::silu(x), ops::ref::silu(x), kTolF32);
        EXPECT_CLOSE(ops::gelu(x), ops::ref::gelu(x), kTolF32);
        EXPECT_CLOSE(ops::gelu(x, true), ops::ref::gelu(x, true), kTolF32);
        EXPECT_CLOSE(ops::quick_gelu(x), ops::ref::quick_gelu(x), kTolF32);
    }
}

TEST(OpsActivations, ExtremeInputsStayFinite) {
    Tensor x = Tensor::from_vector({4}, std::vector<float>{-200.0f, -90.0f, 90.0f, 200.0f});
    Tensor y = ops::silu(x);
    EXPECT_FLOAT_EQ(y.data<float>()[3], 200.0f);
    EXPECT_NEAR(y.data<float>()[0], 0.0f, 1e-30);
    EXPECT_FLOAT_EQ(ops::gelu(x).data<float>()[2], 90.0f);
    EXPECT_FLOAT_EQ(ops::gelu(x, true).data<float>()[1], 0.0f);
}

TEST(OpsActivations, GegluSplitsValueThenGate) {
    Tensor x = random({2, 5, 2 * 13}, 9, -4.0f, 4.0f);
    EXPECT_CLOSE(ops::geglu(x), ops::ref::geglu(x), kTolF32);
    // Order matters: the first half is the value, the second the gate.
    Tensor v = Tensor::from_vector({2}, std::vector<float>{3.0f, 0.0f});
    EXPECT_FLOAT_EQ(ops::geglu(v).data<float>()[0], 0.0f);
    Tensor g = Tensor::from_vector({2}, std::vector<float>{0.0f, 3.0f});
    EXPECT_FLOAT_EQ(ops::geglu(g).data<float>()[0], 0.0f);
    Tensor both = Tensor::from_vector({2}, std::vector<float>{2.0f, 1.0f});
    EXPECT_NEAR(ops::geglu(both).data<float>()[0], 2.0 * 0.5 * (1 + std::erf(1 / std::sqrt(2.0))), 1e-6);
    EXPECT_THROW(ops::geglu(random({3, 5}, 1)), Error);
}

TEST(OpsSoftmax, MatchesReference) {
    for (const Shape& s : {Shape{4, 9, 33}, Shape{2, 1000}, Shape{7, 1}}) {
        Tensor x = random(s, 11, -30.0f, 30.0f);
        EXPECT_CLOSE(ops::softmax(x), ops::ref::softmax(x), kTolF32);
    }
    // Large offsets must not overflow (the row max is subtracted).
    Tensor big = ops::add(random({3, 40}, 12), 1e4f);
    EXPECT_CLOSE(ops::softmax(big), ops::ref::softmax(big), kTolF32);
    Tensor strided = random({6, 8}, 13).permute({1, 0});
    EXPECT_CLOSE(ops::softmax(strided), ops::ref::softmax(strided), kTolF32);
}

}  // namespace

namespace {

TEST(OpsActivations, GegluBf16Output) {
    Tensor x = random({2, 9, 2 * 40}, 14, -4.0f, 4.0f);
    Tensor y = ops::geglu(x, DType::BF16);
    EXPECT_EQ(y.dtype(), DType::BF16);
    EXPECT_CLOSE(y, ops::ref::geglu(x), 4e-3);
}

}  // namespace
