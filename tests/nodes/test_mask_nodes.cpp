// MASK nodes: conversions, solid masks, grow/feather/threshold, MaskComposite operations.
#include "single_node_runner.h"
#include "node_test_util.h"

#include <gtest/gtest.h>

using namespace weft;
using namespace weft::testing;

namespace {

Tensor mask_from(int64_t h, int64_t w, std::vector<float> v) { return Tensor::from_vector({1, h, w}, v); }

TEST(MaskNodes, ImageToMaskPicksChannelAndRejectsMissingAlpha) {
    SingleNodeRunner runner;
    const Tensor img = make_tensor({2, 2, 3, 4}, [](int64_t i) { return double(i % 4) / 10.0 + double(i / 4) / 100.0; });
    NodeRun g = runner.run("ImageToMask", {{"image", img}, {"channel", "green"}});
    ASSERT_TRUE(g.ok()) << g.error_text();
    EXPECT_EQ(shape_string(g.tensor().shape()), "[2, 2, 3]");
    EXPECT_FLOAT_EQ(at(g.tensor(), 5), float(0.1 + 0.05));
    NodeRun a = runner.run("ImageToMask", {{"image", img}, {"channel", "alpha"}});
    ASSERT_TRUE(a.ok());
    EXPECT_FLOAT_EQ(at(a.tensor(), 0), 0.3f);
    NodeRun rgb = runner.run("ImageToMask", {{"image", Tensor::zeros({1, 2, 2, 3})}, {"channel", "alpha"}});
    EXPECT_EQ(rgb.result.status, RunStatus::Error);
    EXPECT_NE(rgb.error_text().find("no alpha channel"), std::string::npos) << rgb.error_text();
}

TEST(MaskNodes, MaskToImageInvertSolidThreshold) {
    SingleNodeRunner runner;
    const Tensor m = mask_from(1, 3, {0.0f, 0.25f, 1.0f});
    NodeRun img = runner.run("MaskToImage", {{"mask", m}});
    ASSERT_TRUE(img.ok()) << img.error_text();
    EXPECT_EQ(shape_string(img.tensor().shape()), "[1, 1, 3, 3]");
    EXPECT_FLOAT_EQ(at(img.tensor(), 3 + 2), 0.25f);
    NodeRun inv = runner.run("InvertMask", {{"mask", m}});
    ASSERT_TRUE(inv.ok());
    EXPECT_FLOAT_EQ(at(inv.tensor(), 1), 0.75f);
    NodeRun solid = runner.run("SolidMask", {{"value", 0.3}, {"width", 5}, {"height", 2}});
    ASSERT_TRUE(solid.ok());
    EXPECT_EQ(shape_string(solid.tensor().shape()), "[1, 2, 5]");
    EXPECT_FLOAT_EQ(at(solid.tensor(), 9), 0.3f);
    NodeRun th = runner.run("ThresholdMask", {{"mask", m}, {"value", 0.25}});
    ASSERT_TRUE(th.ok());
    EXPECT_EQ(at(th.tensor(), 1), 0.0f);  // strictly greater
    EXPECT_EQ(at(th.tensor(), 2), 1.0f);
}

// A 5x5 mask with one lit pixel in the middle.
Tensor dot() {
    std::vector<float> v(25, 0.0f);
    v[12] = 1.0f;
    return mask_from(5, 5, v);
}
int lit(const Tensor& t) {
    int n = 0;
    for (int64_t i = 0; i < t.numel(); ++i) n += at(t, i) > 0.5f;
    return n;
}

TEST(MaskNodes, GrowMaskDilatesAndErodes) {
    SingleNodeRunner runner;
    NodeRun cross = runner.run("GrowMask", {{"mask", dot()}, {"expand", 1}, {"tapered_corners", true}});
    NodeRun square = runner.run("GrowMask", {{"mask", dot()}, {"expand", 1}, {"tapered_corners", false}});
    NodeRun two = runner.run("GrowMask", {{"mask", dot()}, {"expand", 2}, {"tapered_corners", false}});
    ASSERT_TRUE(cross.ok() && square.ok() && two.ok()) << cross.error_text();
    EXPECT_EQ(lit(cross.tensor()), 5);
    EXPECT_EQ(lit(square.tensor()), 9);
    EXPECT_EQ(lit(two.tensor()), 25);
    NodeRun shrink = runner.run("GrowMask", {{"mask", two.tensor()}, {"expand", -1}, {"tapered_corners", false}});
    ASSERT_TRUE(shrink.ok());
    EXPECT_EQ(lit(shrink.tensor()), 25);  // a full mask stays full: outside pixels do not count
    NodeRun erode = runner.run("GrowMask", {{"mask", square.tensor()}, {"expand", -1}, {"tapered_corners", true}});
    ASSERT_TRUE(erode.ok());
    EXPECT_EQ(lit(erode.tensor()), 1);
}

TEST(MaskNodes, FeatherMaskRampsEdgesLikeComfyUI) {
    SingleNodeRunner runner;
    const Tensor ones = Tensor::full({1, 2, 4}, 1.0f);
    NodeRun left = runner.run("FeatherMask", {{"mask", ones}, {"left", 2}, {"top", 0}, {"right", 0}, {"bottom", 0}});
    ASSERT_TRUE(left.ok()) << left.error_text();
    EXPECT_FLOAT_EQ(at(left.tensor(), 0), 0.5f);
    EXPECT_FLOAT_EQ(at(left.tensor(), 1), 1.0f);
    // ComfyUI indexes the right edge with -x: step 0 scales column 0, step 1 the last column.
    NodeRun right = runner.run("FeatherMask", {{"mask", ones}, {"left", 0}, {"top", 0}, {"right", 2}, {"bottom", 0}});
    ASSERT_TRUE(right.ok());
    EXPECT_FLOAT_EQ(at(right.tensor(), 0), 0.5f);
    EXPECT_FLOAT_EQ(at(right.tensor(), 3), 1.0f);
    NodeRun big = runner.run("FeatherMask", {{"mask", ones}, {"left", 0}, {"top", 9}, {"right", 0}, {"bottom", 0}});
    ASSERT_TRUE(big.ok());  // clamped to the height: rows scaled by 1/2 and 2/2
    EXPECT_FLOAT_EQ(at(big.tensor(), 0), 0.5f);
    EXPECT_FLOAT_EQ(at(big.tensor(), 4), 1.0f);
}

TEST(MaskNodes, MaskCompositeOperations) {
    SingleNodeRunner runner;
    const Tensor dest = mask_from(2, 3, {0.2f, 0.6f, 1.0f, 0.0f, 0.5f, 0.9f});
    const Tensor src = mask_from(1, 2, {0.7f, 0.4f});
    auto run = [&](const char* op, int x, int y) {
        NodeRun r = runner.run("MaskComposite", {{"destination", dest}, {"source", src}, {"x", x}, {"y", y}, {"operation", op}});
        EXPECT_TRUE(r.ok()) << r.error_text();
        return r.tensor();
    };
    const Tensor mul = run("multiply", 1, 0);
    EXPECT_FLOAT_EQ(at(mul, 0), 0.2f);
    EXPECT_FLOAT_EQ(at(mul, 1), 0.6f * 0.7f);
    EXPECT_FLOAT_EQ(at(mul, 2), 1.0f * 0.4f);
    const Tensor add = run("add", 1, 1);
    EXPECT_FLOAT_EQ(at(add, 4), 1.0f);  // 0.5 + 0.7 clamped
    EXPECT_FLOAT_EQ(at(add, 5), 1.0f);  // 0.9 + 0.4 clamped
    const Tensor sub = run("subtract", 0, 0);
    EXPECT_FLOAT_EQ(at(sub, 0), 0.0f);  // 0.2 - 0.7 clamped
    const Tensor band = run("and", 1, 0);
    EXPECT_EQ(at(band, 1), 1.0f);  // round(0.6) && round(0.7)
    EXPECT_EQ(at(band, 2), 0.0f);  // round(1.0) && round(0.4)
    const Tensor bor = run("or", 0, 1);
    EXPECT_EQ(at(bor, 3), 1.0f);
    EXPECT_EQ(at(bor, 4), 0.0f);  // round(0.5) = 0 (half to even), round(0.4) = 0
    const Tensor bxor = run("xor", 1, 1);
    EXPECT_EQ(at(bxor, 5), 1.0f);  // round(0.9) xor round(0.4)
    const Tensor outside = run("add", 7, 0);
    EXPECT_EQ(max_abs_diff(outside, dest), 0.0);
}

TEST(MaskNodes, MaskCompositeBroadcastsSingleSource) {
    SingleNodeRunner runner;
    const Tensor dest = Tensor::zeros({3, 2, 2});
    NodeRun r = runner.run("MaskComposite", {{"destination", dest}, {"source", Tensor::full({1, 1, 1}, 1.0f)}, {"x", 1}, {"y", 1}, {"operation", "add"}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(at(r.tensor(), 2 * 4 + 3), 1.0f);
    NodeRun bad = runner.run("MaskComposite", {{"destination", Tensor::zeros({1, 2, 2})}, {"source", Tensor::zeros({2, 1, 1})}, {"x", 0}, {"y", 0}, {"operation", "add"}});
    EXPECT_EQ(bad.result.status, RunStatus::Error);
}

}  // namespace
