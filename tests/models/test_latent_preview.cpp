// Latent2RGB previews: the SD1.5 factors, the (x + 1) / 2 mapping with clamping and truncation,
// batch item 0 only, and the shrink to 512 for large latents.
#include "sampling/latent_preview.h"

#include <weft/error.h>

#include <gtest/gtest.h>

#include <vector>

using namespace weft;

namespace {

// [B, 4, H, W] from per-pixel channel vectors (item-major, then pixel-major).
Tensor latent(int64_t b, int64_t h, int64_t w, const std::vector<std::vector<float>>& pixels) {
    Tensor t = Tensor::zeros({b, 4, h, w});
    const int64_t plane = h * w;
    for (int64_t n = 0; n < b; ++n)
        for (int64_t i = 0; i < plane; ++i)
            for (int64_t c = 0; c < 4; ++c) t.data<float>()[(n * 4 + c) * plane + i] = pixels[size_t(n * plane + i)][size_t(c)];
    return t;
}

}  // namespace

TEST(LatentPreview, MapsChannelsThroughTheSd15Factors) {
    // Item 0: three pixels in a row; item 1 must not matter.
    const Tensor x0 = latent(2, 1, 3,
                             {{1, 0, 0, 0}, {0, 0, 0, 2}, {4, 4, 0, 0},  // item 0
                              {9, 9, 9, 9}, {9, 9, 9, 9}, {9, 9, 9, 9}});
    const Tensor rgb = models::latent_preview_rgb(x0);
    ASSERT_EQ(rgb.dtype(), DType::U8);
    ASSERT_EQ(rgb.shape(), (Shape{1, 3, 3}));
    const uint8_t* p = rgb.data<uint8_t>();
    // (1,0,0,0): rgb = row 0 = (0.3512, 0.2297, 0.3227) -> (1.3512/2·255, ...) = (172.28, 156.79, 168.64), truncated.
    EXPECT_EQ(p[0], 172);
    EXPECT_EQ(p[1], 156);
    EXPECT_EQ(p[2], 168);
    // (0,0,0,2): rgb = 2·row 3 = (-0.4240, -0.5232, -1.4354) -> (73.44, 60.79, clamped to 0).
    EXPECT_EQ(p[3], 73);
    EXPECT_EQ(p[4], 60);
    EXPECT_EQ(p[5], 0);
    // (4,4,0,0): rgb = 4·(row 0 + row 1) = (2.70, 2.91, 2.23): every channel clamps to 255.
    EXPECT_EQ(p[6], 255);
    EXPECT_EQ(p[7], 255);
    EXPECT_EQ(p[8], 255);
}

TEST(LatentPreview, KeepsTheLatentOrientation) {
    // [1, 4, 2, 1]: two rows, one column; the top pixel dark, the bottom one bright.
    const Tensor rgb = models::latent_preview_rgb(latent(1, 2, 1, {{0, 0, 0, 2}, {1, 0, 0, 0}}));
    ASSERT_EQ(rgb.shape(), (Shape{2, 1, 3}));
    EXPECT_EQ(rgb.data<uint8_t>()[0], 73);
    EXPECT_EQ(rgb.data<uint8_t>()[3], 172);
}

TEST(LatentPreview, ShrinksOnlyPastTheMaximumSide) {
    // 64 x 40: left as is; 600 x 300 with max side 512 -> 512 x 256 (aspect kept).
    EXPECT_EQ(models::latent_preview_rgb(Tensor::zeros({1, 4, 40, 64})).shape(), (Shape{40, 64, 3}));
    const Tensor big = Tensor::full({1, 4, 300, 600}, 0.5f);
    const Tensor rgb = models::latent_preview_rgb(big);
    ASSERT_EQ(rgb.shape(), (Shape{256, 512, 3}));
    // A uniform latent stays uniform: 0.5·(0.3512+0.3250-0.2829-0.2120) = 0.09065 -> 1.09065/2·255 = 139.06.
    const Tensor small = models::latent_preview_rgb(Tensor::full({1, 4, 3, 6}, 0.5f));
    for (int64_t i = 0; i < rgb.numel(); i += 3) ASSERT_EQ(rgb.data<uint8_t>()[i], 139);
    EXPECT_EQ(small.data<uint8_t>()[0], 139);
    // A smaller max side applies the same rule.
    EXPECT_EQ(models::latent_preview_rgb(Tensor::zeros({1, 4, 30, 10}), 15).shape(), (Shape{15, 5, 3}));
}

TEST(LatentPreview, ResizeAveragesUnderTheTriangleFilter) {
    // Halving [10, 30]: both inputs sit 0.25 (in output-scaled units) from the output centre, so
    // they get equal weight: 20.
    Tensor img = Tensor::zeros({1, 2, 1}, DType::U8);
    img.data<uint8_t>()[0] = 10;
    img.data<uint8_t>()[1] = 30;
    const Tensor half = models::resize_u8_bilinear(img, 1, 1);
    EXPECT_EQ(half.data<uint8_t>()[0], 20);
}

TEST(LatentPreview, RefusesOtherLatents) {
    EXPECT_THROW(models::latent_preview_rgb(Tensor::zeros({1, 16, 8, 8})), Error);
    EXPECT_THROW(models::latent_preview_rgb(Tensor::zeros({4, 8, 8})), Error);
}
