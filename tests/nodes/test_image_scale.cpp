// Image and latent scaling: comfy.utils.common_upscale against ComfyUI's goldens, and the
// ImageScale / ImageScaleBy / ImageScaleToTotalPixels / LatentUpscale / LatentUpscaleBy nodes.
#include "single_node_runner.h"
#include "node_test_util.h"
#include "npy.h"
#include "tensor/resample.h"

#include <gtest/gtest.h>

using namespace weft;
using namespace weft::testing;

namespace {

std::filesystem::path upscale_dir() { return shared_folder() / "goldens" / "components_tiny" / "upscale"; }

#define REQUIRE_GOLDENS()                                                                                   \
    if (!std::filesystem::exists(upscale_dir() / "image_in.npy"))                                            \
    GTEST_SKIP() << "component goldens not found under " << upscale_dir() << " (WEFT_SHARED_DIR)"

// ComfyUI's lanczos goes through 8-bit values: one quantisation level of tolerance.
double tolerance(const std::string& method) { return method == "lanczos" ? 1.0 / 255.0 + 1e-6 : 1e-4; }

struct Case {
    std::string method, crop;
};
std::string case_name(const ::testing::TestParamInfo<Case>& i) {
    std::string s = i.param.method + "_" + i.param.crop;
    for (char& c : s)
        if (c == '-') c = '_';
    return s;
}

std::vector<Case> cases(std::vector<std::string> methods) {
    std::vector<Case> out;
    for (const auto& m : methods)
        for (const char* crop : {"disabled", "center"}) out.push_back({m, crop});
    return out;
}

class ImageUpscaleGolden : public ::testing::TestWithParam<Case> {};

TEST_P(ImageUpscaleGolden, CommonUpscaleMatchesComfyUI) {
    REQUIRE_GOLDENS();
    const Tensor in = load_npy(upscale_dir() / "image_in.npy");  // [1,3,17,23]
    const Tensor want = load_npy(upscale_dir() / ("image_" + GetParam().method + "_" + GetParam().crop + ".npy"));
    const Tensor got = common_upscale(in, 31, 29, resample_method_from_name(GetParam().method), GetParam().crop == "center");
    EXPECT_LE(max_abs_diff(got, want), tolerance(GetParam().method));
}

TEST_P(ImageUpscaleGolden, ImageScaleNodeMatchesComfyUI) {
    REQUIRE_GOLDENS();
    if (GetParam().method == "bislerp") GTEST_SKIP() << "ImageScale does not offer bislerp";
    const Tensor in = load_npy(upscale_dir() / "image_in.npy").permute({0, 2, 3, 1}).contiguous();  // IMAGE [1,17,23,3]
    const Tensor want = load_npy(upscale_dir() / ("image_" + GetParam().method + "_" + GetParam().crop + ".npy"))
                            .permute({0, 2, 3, 1})
                            .contiguous();
    SingleNodeRunner runner;
    NodeRun r = runner.run("ImageScale", {{"image", in}, {"upscale_method", GetParam().method}, {"width", 31}, {"height", 29},
                                          {"crop", GetParam().crop}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_LE(max_abs_diff(r.tensor(), want), tolerance(GetParam().method));
}

INSTANTIATE_TEST_SUITE_P(Methods, ImageUpscaleGolden,
                         ::testing::ValuesIn(cases({"nearest-exact", "bilinear", "area", "bicubic", "lanczos", "bislerp"})),
                         case_name);

class LatentUpscaleGolden : public ::testing::TestWithParam<Case> {};

TEST_P(LatentUpscaleGolden, LatentUpscaleNodeMatchesComfyUI) {
    REQUIRE_GOLDENS();
    const Tensor in = load_npy(upscale_dir() / "latent_in.npy");  // [1,4,8,8]
    const Tensor want = load_npy(upscale_dir() / ("latent_" + GetParam().method + "_" + GetParam().crop + ".npy"));
    EXPECT_LE(max_abs_diff(common_upscale(in, 10, 12, resample_method_from_name(GetParam().method), GetParam().crop == "center"), want),
              1e-4);
    SingleNodeRunner runner;
    Latent l;
    l.samples = in;
    NodeRun r = runner.run("LatentUpscale", {{"samples", Value(l)}, {"upscale_method", GetParam().method}, {"width", 80},
                                             {"height", 96}, {"crop", GetParam().crop}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_LE(max_abs_diff(r.latent().samples, want), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Methods, LatentUpscaleGolden,
                         ::testing::ValuesIn(cases({"nearest-exact", "bilinear", "area", "bicubic", "bislerp"})), case_name);

// ---- behaviour without goldens --------------------------------------------------------------------

Tensor ramp_image(int64_t b, int64_t h, int64_t w, int64_t c) {
    return make_tensor({b, h, w, c}, [](int64_t i) { return double((i * 37) % 101) / 100.0; });
}

TEST(ImageScale, SameSizeIsIdentityForTorchModes) {
    const Tensor img = ramp_image(2, 5, 7, 3);
    SingleNodeRunner runner;
    for (const char* m : {"nearest-exact", "bilinear", "area", "bicubic"}) {
        NodeRun r = runner.run("ImageScale", {{"image", img}, {"upscale_method", m}, {"width", 7}, {"height", 5}, {"crop", "disabled"}});
        ASSERT_TRUE(r.ok()) << r.error_text();
        EXPECT_LE(max_abs_diff(r.tensor(), img), 1e-6) << m;
    }
}

TEST(ImageScale, LanczosAtSameSizeQuantisesTo8Bit) {
    const Tensor img = ramp_image(1, 4, 4, 3);
    SingleNodeRunner runner;
    NodeRun r = runner.run("ImageScale", {{"image", img}, {"upscale_method", "lanczos"}, {"width", 4}, {"height", 4}, {"crop", "disabled"}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor out = r.tensor();
    for (int64_t i = 0; i < out.numel(); ++i) {
        const float want = float(int(at(img, i) * 255.0f)) / 255.0f;
        EXPECT_FLOAT_EQ(at(out, i), want);
    }
}

TEST(ImageScale, ZeroSideKeepsAspectAndZeroBothIsIdentity) {
    const Tensor img = ramp_image(1, 17, 23, 3);
    SingleNodeRunner runner;
    NodeRun a = runner.run("ImageScale", {{"image", img}, {"upscale_method", "bilinear"}, {"width", 0}, {"height", 34}, {"crop", "disabled"}});
    ASSERT_TRUE(a.ok()) << a.error_text();
    EXPECT_EQ(shape_string(a.tensor().shape()), "[1, 34, 46, 3]");
    NodeRun b = runner.run("ImageScale", {{"image", img}, {"upscale_method", "area"}, {"width", 10}, {"height", 0}, {"crop", "disabled"}});
    ASSERT_TRUE(b.ok()) << b.error_text();
    EXPECT_EQ(shape_string(b.tensor().shape()), "[1, 7, 10, 3]");  // round(17 * 10 / 23) = 7
    NodeRun c = runner.run("ImageScale", {{"image", img}, {"upscale_method", "area"}, {"width", 0}, {"height", 0}, {"crop", "disabled"}});
    ASSERT_TRUE(c.ok()) << c.error_text();
    EXPECT_EQ(max_abs_diff(c.tensor(), img), 0.0);
}

TEST(ImageScale, KeepsAlphaChannelAndBatch) {
    const Tensor img = ramp_image(3, 6, 6, 4);
    SingleNodeRunner runner;
    NodeRun r = runner.run("ImageScale", {{"image", img}, {"upscale_method", "lanczos"}, {"width", 12}, {"height", 3}, {"crop", "center"}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.tensor().shape()), "[3, 3, 12, 4]");
}

TEST(ImageScale, ScaleByRoundsSizesAndRejectsEmptyResults) {
    const Tensor img = ramp_image(1, 17, 23, 3);
    SingleNodeRunner runner;
    NodeRun r = runner.run("ImageScaleBy", {{"image", img}, {"upscale_method", "nearest-exact"}, {"scale_by", 1.5}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.tensor().shape()), "[1, 26, 34, 3]");  // round(25.5) = 26 (half to even), round(34.5) = 34
    NodeRun tiny = runner.run("ImageScaleBy", {{"image", img}, {"upscale_method", "bilinear"}, {"scale_by", 0.01}});
    EXPECT_EQ(tiny.result.status, RunStatus::Error);
    ASSERT_TRUE(tiny.result.error.has_value());
    EXPECT_NE(tiny.result.error->exception_message.find("greater than 0"), std::string::npos) << tiny.error_text();
}

TEST(ImageScale, ToTotalPixelsHonoursResolutionSteps) {
    const Tensor img = ramp_image(1, 30, 40, 3);
    SingleNodeRunner runner;
    // 0.01 MP = 10485.76 px; scale = sqrt(10485.76 / 1200) = 2.956; 40 * 2.956 = 118.2, 30 * 2.956 = 88.7.
    NodeRun r = runner.run("ImageScaleToTotalPixels", {{"image", img}, {"upscale_method", "area"}, {"megapixels", 0.01}, {"resolution_steps", 1}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.tensor().shape()), "[1, 89, 118, 3]");
    NodeRun s = runner.run("ImageScaleToTotalPixels", {{"image", img}, {"upscale_method", "bicubic"}, {"megapixels", 0.01}, {"resolution_steps", 16}});
    ASSERT_TRUE(s.ok()) << s.error_text();
    EXPECT_EQ(shape_string(s.tensor().shape()), "[1, 96, 112, 3]");  // round(5.54)*16, round(7.39)*16
}

TEST(Resample, NearestExactPicksPixelCentres) {
    const Tensor in = make_tensor({1, 1, 1, 4}, [](int64_t i) { return double(i); });
    const Tensor out = resize_nchw(in, 1, 6, ResampleMethod::NearestExact);
    // src = floor((o + 0.5) * 4 / 6): 0, 1, 1, 2, 3, 3
    const float want[] = {0, 1, 1, 2, 3, 3};
    for (int i = 0; i < 6; ++i) EXPECT_EQ(at(out, i), want[i]) << i;
}

TEST(Resample, AreaAveragesAdaptiveWindows) {
    const Tensor in = make_tensor({1, 1, 1, 5}, [](int64_t i) { return double(i); });
    const Tensor out = resize_nchw(in, 1, 2, ResampleMethod::Area);
    // windows [0, 3) and [2, 5)
    EXPECT_FLOAT_EQ(at(out, 0), 1.0f);
    EXPECT_FLOAT_EQ(at(out, 1), 3.0f);
}

TEST(Resample, BicubicOvershootsAndIsNotClamped) {
    const Tensor in = make_tensor({1, 1, 1, 4}, [](int64_t i) { return i < 2 ? 0.0 : 1.0; });
    const Tensor out = resize_nchw(in, 1, 16, ResampleMethod::Bicubic);
    float lo = 1, hi = 0;
    for (int64_t i = 0; i < 16; ++i) {
        lo = std::min(lo, at(out, i));
        hi = std::max(hi, at(out, i));
    }
    EXPECT_LT(lo, 0.0f);
    EXPECT_GT(hi, 1.0f);
}

TEST(Resample, CenterCropOffsets) {
    EXPECT_EQ(center_crop_offsets(23, 17, 31, 29).x, 2);  // round((23 - 23 * (527/667)) / 2) = round(2.41)
    EXPECT_EQ(center_crop_offsets(23, 17, 31, 29).y, 0);
    EXPECT_EQ(center_crop_offsets(8, 8, 10, 12).x, 1);    // wider than the target: round((8 - 8 * (10/12)) / 2)
    EXPECT_EQ(center_crop_offsets(8, 8, 12, 10).y, 1);
    EXPECT_EQ(center_crop_offsets(10, 2, 1, 1).x, 4);     // (10 - 2) / 2
    EXPECT_EQ(center_crop_offsets(8, 8, 8, 8).x, 0);
}

TEST(Resample, RejectsZeroSizes) {
    EXPECT_THROW(resize_nchw(Tensor::zeros({1, 1, 4, 4}), 0, 4, ResampleMethod::Bilinear), Error);
    EXPECT_THROW(resample_method_from_name("cubic-ish"), Error);
}

TEST(LatentUpscale, SizesInPixelsWithMinimum64AndAspect) {
    SingleNodeRunner runner;
    Latent l;
    l.samples = make_tensor({2, 4, 8, 12}, [](int64_t i) { return double(i % 7); });
    l.batch_index = {5, 6};
    NodeRun a = runner.run("LatentUpscale", {{"samples", Value(l)}, {"upscale_method", "bilinear"}, {"width", 0}, {"height", 128}, {"crop", "disabled"}});
    ASSERT_TRUE(a.ok()) << a.error_text();
    EXPECT_EQ(shape_string(a.latent().samples.shape()), "[2, 4, 16, 24]");  // width = round(12 * 128 / 8) = 192 px
    EXPECT_EQ(a.latent().batch_index, (std::vector<int64_t>{5, 6}));
    NodeRun b = runner.run("LatentUpscale", {{"samples", Value(l)}, {"upscale_method", "area"}, {"width", 16}, {"height", 40}, {"crop", "disabled"}});
    ASSERT_TRUE(b.ok()) << b.error_text();
    EXPECT_EQ(shape_string(b.latent().samples.shape()), "[2, 4, 8, 8]");  // both raised to 64 px
    NodeRun c = runner.run("LatentUpscaleBy", {{"samples", Value(l)}, {"upscale_method", "bislerp"}, {"scale_by", 1.5}});
    ASSERT_TRUE(c.ok()) << c.error_text();
    EXPECT_EQ(shape_string(c.latent().samples.shape()), "[2, 4, 12, 18]");
}

}  // namespace
