#include "ops_test_util.h"

#include "tensor/ops/layout.h"
#include "tensor/ops/buffer_pool.h"
#include "tensor/ops/reference.h"

#include <weft/error.h>

using namespace weft;
using weft::ops_test::random;

namespace {

// Layout ops move values without arithmetic (bilinear aside): results must be exact.
constexpr double kExact = 0.0;

TEST(OpsConcat, MatchesReferenceOnEveryDim) {
    Tensor a = random({2, 3, 4, 5}, 41), b = random({2, 3, 4, 5}, 42);
    for (int64_t d : {0, 1, 2, 3, -1}) {
        Shape sb = b.shape();
        sb[d < 0 ? 3 : d] = 2;
        Tensor c = random(sb, 43 + d);
        EXPECT_CLOSE(ops::concat({a, c, b}, d), ops::ref::concat({a, c, b}, d), kExact);
    }
    Tensor strided = random({5, 3, 4, 2}, 44).permute({3, 1, 2, 0});  // [2, 3, 4, 5]
    EXPECT_CLOSE(ops::concat({a, strided}, 1), ops::ref::concat({a, strided}, 1), kExact);
    EXPECT_THROW(ops::concat({a, random({2, 3, 5, 5}, 1)}, 1), Error);
    EXPECT_THROW(ops::concat({}, 0), Error);
    EXPECT_THROW(ops::concat({a}, 4), Error);
}

TEST(OpsPad, MatchesReferenceForEveryMode) {
    Tensor x = random({2, 3, 5, 7}, 51);
    const std::vector<std::vector<int64_t>> pads = {{1, 1}, {0, 1, 0, 1}, {2, 3, 1, 4}, {3, 0, 0, 2, 1, 1}};
    for (auto mode : {ops::PadMode::Constant, ops::PadMode::Reflect, ops::PadMode::Replicate})
        for (const auto& p : pads) {
            EXPECT_CLOSE(ops::pad(x, p, mode, 0.5f), ops::ref::pad(x, p, mode, 0.5f), kExact);
        }
    Tensor y = ops::pad(Tensor::from_vector({3}, std::vector<float>{1, 2, 3}), {2, 1}, ops::PadMode::Reflect);
    EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 6), (std::vector<float>{3, 2, 1, 2, 3, 2}));
    EXPECT_THROW(ops::pad(x, {7, 0}, ops::PadMode::Reflect), Error);
    EXPECT_THROW(ops::pad(x, {1}), Error);
}

TEST(OpsPixelShuffle, MatchesReferenceAndRoundTrips) {
    Tensor x = random({2, 12, 5, 3}, 61);
    Tensor up = ops::pixel_shuffle(x, 2);
    EXPECT_EQ(up.shape(), (Shape{2, 3, 10, 6}));
    EXPECT_CLOSE(up, ops::ref::pixel_shuffle(x, 2), kExact);
    EXPECT_CLOSE(ops::pixel_unshuffle(up, 2), x, kExact);
    Tensor z = random({1, 2, 9, 6}, 62);
    EXPECT_CLOSE(ops::pixel_unshuffle(z, 3), ops::ref::pixel_unshuffle(z, 3), kExact);
    EXPECT_THROW(ops::pixel_shuffle(random({1, 5, 2, 2}, 1), 2), Error);
    EXPECT_THROW(ops::pixel_unshuffle(random({1, 1, 5, 4}, 1), 2), Error);
}

TEST(OpsUpsample, NearestMatchesReference) {
    Tensor x = random({2, 3, 5, 7}, 71);
    for (auto [h, w] : {std::pair<int64_t, int64_t>{10, 14}, {7, 9}, {3, 4}, {16, 21}})
        EXPECT_CLOSE(ops::upsample_nearest(x, h, w), ops::ref::upsample_nearest(x, h, w), kExact);
    Tensor two = ops::upsample_nearest(x, 10, 14);
    EXPECT_EQ(two.data<float>()[0], x.data<float>()[0]);
    EXPECT_EQ(two.data<float>()[15], x.data<float>()[0]);  // row 1, col 1 repeats (0, 0)
}

TEST(OpsUpsample, BilinearMatchesReference) {
    Tensor x = random({2, 3, 5, 7}, 72);
    for (auto [h, w] : {std::pair<int64_t, int64_t>{10, 14}, {7, 9}, {3, 4}, {1, 1}})
        EXPECT_CLOSE(ops::upsample_bilinear(x, h, w), ops::ref::upsample_bilinear(x, h, w), 1e-6);
    // align_corners=False: 2x upsampling of [0, 1] gives 0, 0.25, 0.75, 1.
    Tensor r = ops::upsample_bilinear(Tensor::from_vector({1, 1, 1, 2}, std::vector<float>{0, 1}), 1, 4);
    EXPECT_EQ(std::vector<float>(r.data<float>(), r.data<float>() + 4), (std::vector<float>{0, 0.25f, 0.75f, 1}));
    EXPECT_THROW(ops::upsample_bilinear(random({3, 5, 7}, 1), 2, 2), Error);
}

}  // namespace

namespace {

TEST(OpsBufferPool, AMissGivesBackCachedBlocksOfOtherSizes) {
    // A fresh block is paid for by cached ones of other sizes, so cache and live blocks do not
    // both grow the resident set at a peak.
    ops::release_cached_buffers();
    { Tensor a = ops::pad(random({1, 8, 256, 256}, 81), {0, 0}); }  // 2 MiB, cached when released
    EXPECT_GE(ops::cached_buffer_bytes(), size_t(2) << 20);
    Tensor b = ops::pad(random({1, 8, 512, 512}, 82), {0, 0});  // 8 MiB: a miss
    EXPECT_EQ(ops::cached_buffer_bytes(), 0u);
    ops::release_cached_buffers();
}

TEST(OpsBufferPool, LargeOutputsAreReused) {
    ops::release_cached_buffers();
    Tensor x = random({1, 8, 256, 256}, 80);  // 2 MiB
    const std::byte* first = nullptr;
    {
        Tensor y = ops::pad(x, {0, 0});
        first = y.raw_data();
        EXPECT_CLOSE(y, x, 0.0);
    }
    EXPECT_GE(ops::cached_buffer_bytes(), size_t(2) << 20);
    Tensor z = ops::pad(x, {0, 0});
    EXPECT_EQ(z.raw_data(), first);  // the released block came back
    EXPECT_CLOSE(z, x, 0.0);
    ops::release_cached_buffers();
    EXPECT_EQ(ops::cached_buffer_bytes(), 0u);
}

}  // namespace
