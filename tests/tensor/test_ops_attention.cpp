#include "ops_test_util.h"

#include "tensor/ops/attention.h"
#include "tensor/ops/reference.h"

#include <weft/error.h>

using namespace weft;
using weft::ops::Compute;
using weft::ops_test::random;

namespace {

double tol(Compute c) { return c == Compute::BF16 ? ops_test::kTolBF16 : ops_test::kTolF32; }

class OpsAttention : public ::testing::TestWithParam<Compute> {};

TEST_P(OpsAttention, SmallMatchesFullSoftmax) {
    const Compute c = GetParam();
    Tensor q = random({2, 3, 17, 8}, 301, -2, 2), k = random({2, 3, 23, 8}, 302, -2, 2), v = random({2, 3, 23, 5}, 303);
    EXPECT_CLOSE(ops::attention(q, k, v, {}, c), ops::ref::attention(q, k, v), tol(c));
    ops::AttentionParams p;
    p.scale = 0.3f;
    EXPECT_CLOSE(ops::attention(q, k, v, p, c), ops::ref::attention(q, k, v, p), tol(c));
}

TEST_P(OpsAttention, TiledBeyondOneBlock) {
    // More queries and keys than one tile (128 x 512), with ragged last tiles.
    const Compute c = GetParam();
    Tensor q = random({1, 2, 300, 40}, 304, -2, 2), k = random({1, 2, 1100, 40}, 305, -2, 2);
    Tensor v = random({1, 2, 1100, 40}, 306);
    EXPECT_CLOSE(ops::attention(q, k, v, {}, c), ops::ref::attention(q, k, v), tol(c));
}

TEST_P(OpsAttention, CausalMask) {
    const Compute c = GetParam();
    ops::AttentionParams p;
    p.causal = true;
    for (int64_t T : {int64_t(77), int64_t(600)}) {
        Tensor q = random({2, 2, T, 16}, 307, -2, 2), k = random({2, 2, T, 16}, 308, -2, 2), v = random({2, 2, T, 16}, 309);
        EXPECT_CLOSE(ops::attention(q, k, v, p, c), ops::ref::attention(q, k, v, p), tol(c));
    }
    // More keys than queries: top-left aligned, query i sees keys 0..i.
    Tensor q = random({1, 1, 5, 8}, 310), k = random({1, 1, 700, 8}, 311), v = random({1, 1, 700, 8}, 312);
    EXPECT_CLOSE(ops::attention(q, k, v, p, c), ops::ref::attention(q, k, v, p), tol(c));
}

TEST_P(OpsAttention, HeadsAsStridedViewsAndCheapMerge) {
    // Projections come out as [B, T, H·d]; attention reads them through a permuted view.
    const Compute c = GetParam();
    const int64_t B = 2, T = 150, H = 4, D = 12, Tk = 77;
    Tensor q = random({B, T, H, D}, 313, -2, 2).permute({0, 2, 1, 3});
    Tensor k = random({B, Tk, H, D}, 314, -2, 2).permute({0, 2, 1, 3});
    Tensor v = random({B, Tk, H, D}, 315).permute({0, 2, 1, 3});
    ASSERT_FALSE(q.is_contiguous());
    Tensor o = ops::attention(q, k, v, {}, c);
    EXPECT_CLOSE(o, ops::ref::attention(q, k, v), tol(c));
    Tensor merged = o.permute({0, 2, 1, 3});
    EXPECT_TRUE(merged.is_contiguous());  // heads merge back without a copy
}

INSTANTIATE_TEST_SUITE_P(Modes, OpsAttention, ::testing::Values(Compute::F32, Compute::BF16),
                         [](const auto& info) { return std::string(ops::compute_name(info.param)); });

TEST(OpsAttentionErrors, ShapesAreChecked) {
    EXPECT_THROW(ops::attention(random({1, 2, 5, 8}, 1), random({1, 2, 6, 7}, 2), random({1, 2, 6, 8}, 3)), Error);
    EXPECT_THROW(ops::attention(random({1, 2, 5, 8}, 1), random({1, 2, 6, 8}, 2), random({1, 2, 5, 8}, 3)), Error);
    EXPECT_THROW(ops::attention(random({2, 5, 8}, 1), random({2, 6, 8}, 2), random({2, 6, 8}, 3)), Error);
}

}  // namespace

namespace {

TEST(OpsAttentionBf16Inputs, SameAsRoundingInside) {
    Tensor q = random({1, 2, 40, 16}, 320, -2, 2), k = random({1, 2, 50, 16}, 321, -2, 2), v = random({1, 2, 50, 16}, 322);
    EXPECT_CLOSE(ops::attention(q.to(DType::BF16), k.to(DType::BF16), v.to(DType::BF16), {}, Compute::BF16),
                 ops::attention(q, k, v, {}, Compute::BF16), 0.0);
    EXPECT_CLOSE(ops::attention(q.to(DType::BF16), k, v, {}, Compute::F32),
                 ops::ref::attention(q.to(DType::BF16), k, v), ops_test::kTolF32);
}

}  // namespace
