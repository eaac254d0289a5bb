// IMAGE nodes: batches, crop/flip/rotate, blend/blur/sharpen, compositing, outpaint padding, alpha.
#include "single_node_runner.h"
#include "node_test_util.h"

#include <gtest/gtest.h>

using namespace weft;
using namespace weft::testing;

namespace {

Tensor solid(int64_t b, int64_t h, int64_t w, int64_t c, float v) { return Tensor::full({b, h, w, c}, v); }
// Pixel (y, x) of item b holds 100*b + 10*y + x in every channel.
Tensor coords(int64_t b, int64_t h, int64_t w, int64_t c = 3) {
    return make_tensor({b, h, w, c}, [=](int64_t i) {
        const int64_t p = i / c;
        return double(100 * (p / (h * w)) + 10 * ((p / w) % h) + p % w);
    });
}
float px(const Tensor& t, int64_t b, int64_t y, int64_t x, int64_t c = 0) {
    return at(t, ((b * t.size(1) + y) * t.size(2) + x) * t.size(3) + c);
}

TEST(ImageBatchNodes, ImageBatchResizesAndPadsChannels) {
    SingleNodeRunner runner;
    NodeRun r = runner.run("ImageBatch", {{"image1", solid(1, 4, 4, 4, 0.25f)}, {"image2", solid(2, 8, 6, 3, 0.5f)}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.tensor().shape()), "[3, 4, 4, 4]");
    EXPECT_FLOAT_EQ(px(r.tensor(), 2, 1, 1, 0), 0.5f);
    EXPECT_FLOAT_EQ(px(r.tensor(), 2, 1, 1, 3), 1.0f);  // opaque alpha added to image2
}

TEST(ImageBatchNodes, FromBatchRepeatAndRebatch) {
    SingleNodeRunner runner;
    const Tensor img = coords(4, 2, 2);
    NodeRun f = runner.run("ImageFromBatch", {{"image", img}, {"batch_index", 3}, {"length", 4}});
    ASSERT_TRUE(f.ok()) << f.error_text();
    EXPECT_EQ(f.tensor().size(0), 1);
    EXPECT_FLOAT_EQ(px(f.tensor(), 0, 0, 0), 300.0f);
    NodeRun over = runner.run("ImageFromBatch", {{"image", img}, {"batch_index", 4000}, {"length", 1}});
    ASSERT_TRUE(over.ok());
    EXPECT_FLOAT_EQ(px(over.tensor(), 0, 0, 0), 300.0f);  // clamped to the last item
    NodeRun rep = runner.run("RepeatImageBatch", {{"image", coords(2, 2, 2)}, {"amount", 3}});
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(rep.tensor().size(0), 6);
    EXPECT_FLOAT_EQ(px(rep.tensor(), 5, 0, 0), 100.0f);
    NodeRun reb = runner.run("RebatchImages", {{"images", SingleNodeRunner::list({Value(coords(3, 2, 2)), Value(coords(2, 2, 2))})}, {"batch_size", 2}});
    ASSERT_TRUE(reb.ok()) << reb.error_text();
    ASSERT_EQ(reb.count(0), 3u);
    EXPECT_EQ(reb.tensor(0, 0).size(0), 2);
    EXPECT_EQ(reb.tensor(0, 2).size(0), 1);
    EXPECT_FLOAT_EQ(px(reb.tensor(0, 1), 0, 0, 0), 200.0f);  // third item of the first batch
    EXPECT_FLOAT_EQ(px(reb.tensor(0, 1), 1, 0, 0), 0.0f);    // first item of the second
}

TEST(ImageTransformNodes, CropClampsOriginAndCutsAtBorder) {
    SingleNodeRunner runner;
    const Tensor img = coords(1, 5, 6);
    NodeRun r = runner.run("ImageCrop", {{"image", img}, {"width", 3}, {"height", 2}, {"x", 2}, {"y", 1}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.tensor().shape()), "[1, 2, 3, 3]");
    EXPECT_FLOAT_EQ(px(r.tensor(), 0, 0, 0), 12.0f);
    NodeRun edge = runner.run("ImageCrop", {{"image", img}, {"width", 512}, {"height", 512}, {"x", 100}, {"y", 100}});
    ASSERT_TRUE(edge.ok());
    EXPECT_EQ(shape_string(edge.tensor().shape()), "[1, 1, 1, 3]");  // origin clamped to (5, 4)
    EXPECT_FLOAT_EQ(px(edge.tensor(), 0, 0, 0), 45.0f);
}

TEST(ImageTransformNodes, FlipAndRotate) {
    SingleNodeRunner runner;
    const Tensor img = coords(1, 2, 3);  // rows 0..1, columns 0..2
    NodeRun v = runner.run("ImageFlip", {{"image", img}, {"flip_method", "x-axis: vertically"}});
    NodeRun h = runner.run("ImageFlip", {{"image", img}, {"flip_method", "y-axis: horizontally"}});
    ASSERT_TRUE(v.ok() && h.ok());
    EXPECT_FLOAT_EQ(px(v.tensor(), 0, 0, 0), 10.0f);
    EXPECT_FLOAT_EQ(px(h.tensor(), 0, 0, 0), 2.0f);
    NodeRun r = runner.run("ImageRotate", {{"image", img}, {"rotation", "90 degrees"}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(shape_string(r.tensor().shape()), "[1, 3, 2, 3]");
    EXPECT_FLOAT_EQ(px(r.tensor(), 0, 0, 0), 10.0f);  // clockwise: the bottom-left comes to the top-left
    EXPECT_FLOAT_EQ(px(r.tensor(), 0, 2, 1), 2.0f);
    NodeRun r180 = runner.run("ImageRotate", {{"image", img}, {"rotation", "180 degrees"}});
    ASSERT_TRUE(r180.ok());
    EXPECT_FLOAT_EQ(px(r180.tensor(), 0, 0, 0), 12.0f);
    NodeRun none = runner.run("ImageRotate", {{"image", img}, {"rotation", "none"}});
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(max_abs_diff(none.tensor(), img), 0.0);
}

TEST(ImageFilterNodes, BlendModesFollowTheirFormulas) {
    SingleNodeRunner runner;
    const float a = 0.3f, b = 0.8f;
    auto blend = [&](const char* mode, double f) {
        NodeRun r = runner.run("ImageBlend", {{"image1", solid(1, 2, 2, 3, a)}, {"image2", solid(1, 2, 2, 3, b)}, {"blend_factor", f}, {"blend_mode", mode}});
        EXPECT_TRUE(r.ok()) << r.error_text();
        return px(r.tensor(), 0, 1, 1);
    };
    EXPECT_NEAR(blend("normal", 0.25), a * 0.75f + b * 0.25f, 1e-6);
    EXPECT_NEAR(blend("multiply", 1.0), a * b, 1e-6);
    EXPECT_NEAR(blend("screen", 1.0), 1 - (1 - a) * (1 - b), 1e-6);
    EXPECT_NEAR(blend("overlay", 1.0), 2 * a * b, 1e-6);
    EXPECT_NEAR(blend("soft_light", 1.0), a + (2 * b - 1) * (std::sqrt(a) - a), 1e-6);
    EXPECT_NEAR(blend("difference", 1.0), 0.0f, 1e-6);  // a - b clamped
    NodeRun sized = runner.run("ImageBlend", {{"image1", solid(2, 4, 4, 3, a)}, {"image2", solid(1, 8, 2, 3, b)}, {"blend_factor", 1.0}, {"blend_mode", "normal"}});
    ASSERT_TRUE(sized.ok()) << sized.error_text();
    EXPECT_EQ(shape_string(sized.tensor().shape()), "[2, 4, 4, 3]");
    EXPECT_NEAR(px(sized.tensor(), 1, 3, 3), b, 1e-6);
}

TEST(ImageFilterNodes, BlurKeepsConstantsAndSpreadsImpulses) {
    SingleNodeRunner runner;
    NodeRun c = runner.run("ImageBlur", {{"image", solid(1, 6, 6, 3, 0.4f)}, {"blur_radius", 2}, {"sigma", 1.0}});
    ASSERT_TRUE(c.ok()) << c.error_text();
    EXPECT_LE(max_abs_diff(c.tensor(), solid(1, 6, 6, 3, 0.4f)), 1e-6);
    Tensor impulse = Tensor::zeros({1, 7, 7, 1});
    impulse.data<float>()[3 * 7 + 3] = 1.0f;
    NodeRun i = runner.run("ImageBlur", {{"image", impulse}, {"blur_radius", 1}, {"sigma", 1.0}});
    ASSERT_TRUE(i.ok()) << i.error_text();
    const Tensor& t = i.tensor();
    double sum = 0;
    for (int64_t k = 0; k < t.numel(); ++k) sum += at(t, k);
    EXPECT_NEAR(sum, 1.0, 1e-5);
    // ComfyUI's kernel spans linspace(-1, 1): neighbours at distance 1, diagonals at sqrt(2).
    const double g1 = std::exp(-1.0 / 2.0), g2 = std::exp(-2.0 / 2.0), total = 1 + 4 * g1 + 4 * g2;
    EXPECT_NEAR(px(t, 0, 3, 3), 1 / total, 1e-6);
    EXPECT_NEAR(px(t, 0, 2, 3), g1 / total, 1e-6);
    EXPECT_NEAR(px(t, 0, 2, 2), g2 / total, 1e-6);
    NodeRun big = runner.run("ImageBlur", {{"image", solid(1, 3, 3, 3, 0.4f)}, {"blur_radius", 5}, {"sigma", 1.0}});
    EXPECT_EQ(big.result.status, RunStatus::Error);
}

TEST(ImageFilterNodes, SharpenEnhancesEdgesAndClamps) {
    SingleNodeRunner runner;
    NodeRun c = runner.run("ImageSharpen", {{"image", solid(1, 5, 5, 3, 0.4f)}, {"sharpen_radius", 1}, {"sigma", 1.0}, {"alpha", 2.0}});
    ASSERT_TRUE(c.ok()) << c.error_text();
    EXPECT_LE(max_abs_diff(c.tensor(), solid(1, 5, 5, 3, 0.4f)), 1e-5);
    Tensor step = make_tensor({1, 3, 6, 3}, [](int64_t i) { return ((i / 3) % 6) < 3 ? 0.4 : 0.6; });
    NodeRun s = runner.run("ImageSharpen", {{"image", step}, {"sharpen_radius", 1}, {"sigma", 1.0}, {"alpha", 0.1}});
    ASSERT_TRUE(s.ok()) << s.error_text();
    EXPECT_LT(px(s.tensor(), 0, 1, 2), 0.4f);  // darker before the edge
    EXPECT_GT(px(s.tensor(), 0, 1, 3), 0.6f);  // brighter after it
    NodeRun off = runner.run("ImageSharpen", {{"image", step}, {"sharpen_radius", 1}, {"sigma", 1.0}, {"alpha", 0.0}});
    ASSERT_TRUE(off.ok());
    EXPECT_LE(max_abs_diff(off.tensor(), step), 1e-6);
}

TEST(ImageCompositeNodes, CompositeMaskedPastesWithMaskOfAnotherSize) {
    SingleNodeRunner runner;
    const Tensor dest = solid(2, 4, 4, 3, 0.0f);
    const Tensor src = solid(1, 2, 3, 4, 1.0f);  // alpha channel dropped to match the destination
    NodeRun r = runner.run("ImageCompositeMasked", {{"destination", dest}, {"source", src}, {"x", 2}, {"y", 1}, {"resize_source", false}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor& t = r.tensor();
    EXPECT_EQ(shape_string(t.shape()), "[2, 4, 4, 3]");
    EXPECT_FLOAT_EQ(px(t, 1, 1, 2), 1.0f);
    EXPECT_FLOAT_EQ(px(t, 1, 2, 3), 1.0f);
    EXPECT_FLOAT_EQ(px(t, 0, 1, 1), 0.0f);
    EXPECT_FLOAT_EQ(px(t, 0, 3, 2), 0.0f);
    const Tensor mask = make_tensor({1, 4, 6}, [](int64_t i) { return (i % 6) < 3 ? 0.0 : 1.0; });  // right half
    NodeRun m = runner.run("ImageCompositeMasked", {{"destination", dest}, {"source", src}, {"x", 0}, {"y", 0}, {"resize_source", false}, {"mask", mask}});
    ASSERT_TRUE(m.ok()) << m.error_text();
    EXPECT_FLOAT_EQ(px(m.tensor(), 0, 0, 0), 0.0f);
    EXPECT_FLOAT_EQ(px(m.tensor(), 0, 0, 2), 1.0f);
    NodeRun resized = runner.run("ImageCompositeMasked", {{"destination", dest}, {"source", src}, {"x", 0}, {"y", 0}, {"resize_source", true}});
    ASSERT_TRUE(resized.ok());
    EXPECT_FLOAT_EQ(px(resized.tensor(), 1, 3, 3), 1.0f);
}

TEST(ImageCompositeNodes, PadForOutpaintFillsGreyAndFeathersMask) {
    SingleNodeRunner runner;
    const Tensor img = solid(1, 20, 20, 3, 0.9f);
    NodeRun r = runner.run("ImagePadForOutpaint", {{"image", img}, {"left", 8}, {"top", 0}, {"right", 0}, {"bottom", 4}, {"feathering", 5}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.tensor(0).shape()), "[1, 24, 28, 3]");
    EXPECT_FLOAT_EQ(px(r.tensor(0), 0, 0, 0), 0.5f);
    EXPECT_FLOAT_EQ(px(r.tensor(0), 0, 0, 8), 0.9f);
    const Tensor& m = r.tensor(1);
    EXPECT_EQ(shape_string(m.shape()), "[1, 24, 28]");
    auto mv = [&](int64_t y, int64_t x) { return at(m, y * 28 + x); };
    EXPECT_FLOAT_EQ(mv(0, 0), 1.0f);      // padding
    EXPECT_FLOAT_EQ(mv(23, 10), 1.0f);
    EXPECT_FLOAT_EQ(mv(0, 8), 1.0f);      // d = 0 from the left side: ((5 - 0) / 5)^2
    EXPECT_FLOAT_EQ(mv(0, 10), 0.36f);    // d = 2: (3/5)^2; the top is not padded
    EXPECT_FLOAT_EQ(mv(19, 20), 0.64f);   // d = 20 - 19 = 1 from the bottom: (4/5)^2
    EXPECT_FLOAT_EQ(mv(5, 20), 0.0f);
    NodeRun none = runner.run("ImagePadForOutpaint", {{"image", img}, {"left", 8}, {"top", 0}, {"right", 0}, {"bottom", 0}, {"feathering", 10}});
    ASSERT_TRUE(none.ok());
    EXPECT_FLOAT_EQ(at(none.tensor(1), 8), 0.0f);  // feathering * 2 >= size: no feathering
}

TEST(ImageCompositeNodes, JoinAndSplitAlpha) {
    SingleNodeRunner runner;
    const Tensor rgb = coords(2, 2, 2);
    const Tensor mask = Tensor::full({1, 4, 4}, 0.25f);  // other size, single item
    NodeRun j = runner.run("JoinImageWithAlpha", {{"image", rgb}, {"alpha", mask}});
    ASSERT_TRUE(j.ok()) << j.error_text();
    EXPECT_EQ(shape_string(j.tensor().shape()), "[1, 2, 2, 4]");  // the smaller batch
    EXPECT_FLOAT_EQ(px(j.tensor(), 0, 1, 1, 3), 0.75f);
    EXPECT_FLOAT_EQ(px(j.tensor(), 0, 1, 1, 0), 11.0f);
    NodeRun s = runner.run("SplitImageWithAlpha", {{"image", j.tensor()}});
    ASSERT_TRUE(s.ok()) << s.error_text();
    EXPECT_EQ(shape_string(s.tensor(0).shape()), "[1, 2, 2, 3]");
    EXPECT_FLOAT_EQ(at(s.tensor(1), 3), 0.25f);
    NodeRun opaque = runner.run("SplitImageWithAlpha", {{"image", rgb}});
    ASSERT_TRUE(opaque.ok());
    EXPECT_FLOAT_EQ(at(opaque.tensor(1), 0), 0.0f);
}

}  // namespace
