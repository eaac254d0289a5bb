#include "ops_test_util.h"

#include "tensor/ops/elementwise.h"
#include "tensor/ops/norm.h"
#include "tensor/ops/reference.h"

#include <weft/error.h>

using namespace weft;
using weft::ops_test::random;
using weft::ops_test::kTolF32;

namespace {

TEST(OpsGroupNorm, MatchesReference) {
    struct Case {
        Shape x;
        int64_t groups;
    };
    for (const Case& c : {Case{{2, 6, 5, 7}, 3}, Case{{1, 64, 9, 9}, 32}, Case{{3, 4, 13}, 1}, Case{{2, 8, 1, 1}, 8}}) {
        const int64_t C = c.x[1];
        Tensor x = ops::add(random(c.x, 21, -2.0f, 2.0f), 5.0f);  // mean far from 0
        Tensor w = random({C}, 22), b = random({C}, 23);
        EXPECT_CLOSE(ops::group_norm(x, c.groups, w, b, 1e-5f), ops::ref::group_norm(x, c.groups, w, b, 1e-5f), kTolF32);
        EXPECT_CLOSE(ops::group_norm(x, c.groups, Tensor(), Tensor(), 1e-6f),
                     ops::ref::group_norm(x, c.groups, Tensor(), Tensor(), 1e-6f), kTolF32);
    }
}

TEST(OpsGroupNorm, NormalisesEachGroup) {
    Tensor x = random({1, 4, 6, 6}, 24, 3.0f, 9.0f);
    Tensor y = ops::group_norm(x, 2, Tensor(), Tensor(), 0.0f);
    for (int g = 0; g < 2; ++g) {
        double s = 0, s2 = 0;
        const float* p = y.data<float>() + g * 72;
        for (int i = 0; i < 72; ++i) s += p[i], s2 += double(p[i]) * p[i];
        EXPECT_NEAR(s / 72, 0.0, 1e-5);
        EXPECT_NEAR(s2 / 72, 1.0, 1e-4);
    }
}

TEST(OpsGroupNorm, RejectsBadArguments) {
    EXPECT_THROW(ops::group_norm(random({1, 6, 4, 4}, 1), 4, Tensor(), Tensor(), 1e-5f), Error);
    EXPECT_THROW(ops::group_norm(random({1, 6, 4, 4}, 1), 3, random({5}, 2), Tensor(), 1e-5f), Error);
    EXPECT_THROW(ops::group_norm(random({6}, 1), 3, Tensor(), Tensor(), 1e-5f), Error);
}

TEST(OpsLayerNorm, MatchesReference) {
    for (const Shape& s : {Shape{2, 77, 768}, Shape{5, 13}, Shape{1, 3, 1}}) {
        const int64_t D = s.back();
        Tensor x = ops::add(random(s, 31, -3.0f, 3.0f), -4.0f);
        Tensor w = random({D}, 32), b = random({D}, 33);
        EXPECT_CLOSE(ops::layer_norm(x, w, b, 1e-5f), ops::ref::layer_norm(x, w, b, 1e-5f), kTolF32);
        EXPECT_CLOSE(ops::layer_norm(x, Tensor(), b, 1e-5f), ops::ref::layer_norm(x, Tensor(), b, 1e-5f), kTolF32);
    }
    EXPECT_THROW(ops::layer_norm(random({2, 8}, 1), random({7}, 2), Tensor(), 1e-5f), Error);
}

}  // namespace

namespace {

TEST(OpsGroupNorm, FusedSiluMatchesNormThenSilu) {
    Tensor x = random({2, 64, 7, 9}, 34, -3.0f, 3.0f);
    Tensor w = random({64}, 35), b = random({64}, 36);
    EXPECT_CLOSE(ops::group_norm_silu(x, 32, w, b, 1e-6f), ops::ref::silu(ops::ref::group_norm(x, 32, w, b, 1e-6f)), kTolF32);
}

TEST(OpsLayerNorm, Bf16Output) {
    Tensor x = random({3, 77, 320}, 37, -3.0f, 3.0f);
    Tensor w = random({320}, 38), b = random({320}, 39);
    Tensor y = ops::layer_norm(x, w, b, 1e-5f, DType::BF16);
    EXPECT_EQ(y.dtype(), DType::BF16);
    // Only the final rounding differs: bf16 keeps 8 significant bits (relative step 2^-8).
    EXPECT_CLOSE(y, ops::ref::layer_norm(x, w, b, 1e-5f), 4e-3);
    EXPECT_THROW(ops::layer_norm(x, w, b, 1e-5f, DType::F16), Error);
}

}  // namespace
