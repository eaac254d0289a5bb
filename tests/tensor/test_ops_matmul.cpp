#include "ops_test_util.h"

#include "tensor/ops/matmul.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/reference.h"

#include <weft/error.h>

using namespace weft;
using weft::ops::Compute;
using weft::ops_test::random;
using weft::ops_test::kTolBF16;
using weft::ops_test::kTolF32;

namespace {

double tol(Compute c) { return c == Compute::BF16 ? kTolBF16 : kTolF32; }

class OpsMatmul : public ::testing::TestWithParam<Compute> {};

TEST_P(OpsMatmul, PlainAndBatched) {
    const Compute c = GetParam();
    struct Case {
        Shape a, b;
    };
    for (const Case& k : {Case{{37, 53}, {53, 29}}, Case{{3, 17, 40}, {3, 40, 65}}, Case{{2, 3, 9, 8}, {8, 11}},
                          Case{{2, 1, 5, 6}, {4, 6, 7}}, Case{{1, 300}, {300, 1}}}) {
        Tensor a = random(k.a, 101), b = random(k.b, 102);
        // bf16 results are compared with the unrounded fp32 reference.
        EXPECT_CLOSE(ops::matmul(a, b, c), ops::ref::matmul(a, b), tol(c));
    }
}

TEST_P(OpsMatmul, StridedOperands) {
    const Compute c = GetParam();
    Tensor a = random({33, 21}, 103).permute({1, 0});     // [21, 33] column-major
    Tensor b = random({2, 19, 33}, 104).permute({0, 2, 1});  // [2, 33, 19]
    EXPECT_CLOSE(ops::matmul(a, b, c), ops::ref::matmul(a, b), tol(c));
    Tensor s = random({4, 40, 30}, 105).slice(2, 3, 27);   // rows with a gap
    EXPECT_CLOSE(ops::matmul(s, random({24, 5}, 106), c), ops::ref::matmul(s, random({24, 5}, 106)), tol(c));
}

TEST_P(OpsMatmul, LinearWithAndWithoutBias) {
    const Compute c = GetParam();
    Tensor w = random({45, 70}, 107), b = random({45}, 108);
    for (const Shape& xs : {Shape{2, 13, 70}, Shape{1, 70}, Shape{77, 70}}) {
        Tensor x = random(xs, 109);
        EXPECT_CLOSE(ops::linear(x, w, b, c), ops::ref::linear(x, w, b), tol(c));
        EXPECT_CLOSE(ops::linear(x, w, Tensor(), c), ops::ref::linear(x, w, Tensor()), tol(c));
    }
}

TEST_P(OpsMatmul, PackedLinearServesManyRowCounts) {
    const Compute c = GetParam();
    Tensor w = random({96, 64}, 110).to(DType::F16);  // checkpoints hold F16; packing converts once
    Tensor b = random({96}, 111);
    ops::PackedLinear fc(w, b, c);
    EXPECT_EQ(fc.in_features(), 64);
    EXPECT_EQ(fc.out_features(), 96);
    for (int64_t rows : {1, 7, 128, 1000, 7}) {
        Tensor x = random({rows, 64}, uint32_t(112 + rows));
        EXPECT_CLOSE(fc(x), ops::ref::linear(x, w, b), tol(c));
    }
    ops::PackedLinear copy = fc;  // copies share the packed weight
    Tensor x = random({3, 5, 64}, 113);
    EXPECT_CLOSE(copy(x), fc(x), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Modes, OpsMatmul, ::testing::Values(Compute::F32, Compute::BF16),
                         [](const auto& info) { return std::string(ops::compute_name(info.param)); });

TEST(OpsMatmulErrors, ShapesAreChecked) {
    EXPECT_THROW(ops::matmul(random({3, 4}, 1), random({5, 6}, 2)), Error);
    EXPECT_THROW(ops::matmul(random({2, 3, 4}, 1), random({3, 4, 6}, 2)), Error);
    EXPECT_THROW(ops::matmul(random({4}, 1), random({4, 2}, 2)), Error);
    EXPECT_THROW(ops::linear(random({2, 5}, 1), random({3, 4}, 2), Tensor()), Error);
    EXPECT_THROW(ops::PackedLinear(random({3, 4}, 1), random({4}, 2)), Error);
    try {
        ops::PackedLinear fc(random({3, 4}, 1), Tensor());
        fc(random({2, 5}, 2));
        FAIL();
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("linear"), std::string::npos) << m;
        EXPECT_NE(m.find("[2, 5]"), std::string::npos) << m;
    }
}

}  // namespace

namespace {

TEST(OpsMatmulBf16Inputs, UsedAsIsInBf16Mode) {
    Tensor x = random({5, 33, 48}, 120), w = random({24, 48}, 121), b = random({24}, 122);
    ops::PackedLinear fc(w, b, Compute::BF16);
    // A BF16 activation gives the same result as the F32 one (which fc rounds to bf16 itself).
    EXPECT_CLOSE(fc(x.to(DType::BF16)), fc(x), 0.0);
    // In F32 mode a BF16 input is widened.
    ops::PackedLinear f32(w, b, Compute::F32);
    EXPECT_CLOSE(f32(x.to(DType::BF16)), ops::ref::linear(x.to(DType::BF16), w, b), kTolF32);
    Tensor a = random({3, 7, 48}, 123), m = random({48, 9}, 124);
    EXPECT_CLOSE(ops::matmul(a.to(DType::BF16), m, Compute::BF16), ops::matmul(a, m, Compute::BF16), 0.0);
    EXPECT_THROW(fc(x.to(DType::F16)), Error);
}

}  // namespace

namespace {

TEST_P(OpsMatmul, LinearWithFusedResidual) {
    const Compute c = GetParam();
    Tensor w = random({40, 24}, 130), b = random({40}, 131);
    ops::PackedLinear fc(w, b, c);
    for (const Shape& xs : {Shape{2, 17, 24}, Shape{1, 24}}) {
        Tensor x = random(xs, 132);
        Shape os = xs;
        os.back() = 40;
        Tensor r = random(os, 133);
        EXPECT_CLOSE(fc(x, r), ops::ref::add(ops::ref::linear(x, w, b), r), tol(c));
        EXPECT_CLOSE(fc(x), ops::ref::linear(x, w, b), tol(c));  // the plain primitive is separate
    }
    EXPECT_THROW(fc(random({3, 24}, 1), random({3, 41}, 2)), Error);
}

}  // namespace
