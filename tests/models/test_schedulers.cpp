// Sigma schedules against the sigmas real ComfyUI computed (matrix and img2img goldens), plus the
// model-sampling table facts and the custom-sampling sigma utilities.
#include "sampling/model_sampling.h"
#include "sampling/scheduler_catalog.h"
#include "sampling/sigma_utils.h"

#include <weft/error.h>

#include "models_test_util.h"
#include "npy.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace weft;
using namespace weft::models;
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& p) {
    std::ifstream f(p);
    return nlohmann::json::parse(f);
}

void expect_sigmas_near(const Sigmas& got, const nlohmann::json& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
        const double w = want[i].get<double>();
        EXPECT_NEAR(got[i], w, 1e-6 * std::max(1.0, std::fabs(w))) << what << " [" << i << "]";
    }
}

TEST(ModelSampling, Sd1TableFacts) {
    const auto ms = ModelSamplingDiscrete::sd1();
    ASSERT_EQ(ms.sigmas().size(), 1000u);
    EXPECT_NEAR(ms.sigma_min(), 0.029167158f, 1e-8f);
    EXPECT_NEAR(ms.sigma_max(), 14.614641f, 1e-5f);
    EXPECT_EQ(ms.timestep(ms.sigma_max()), 999.0f);
    EXPECT_EQ(ms.timestep(ms.sigma_min()), 0.0f);
    // UNet timesteps fed for karras-10 (sd-models.md §4.4).
    const Sigmas k = karras_sigmas(10, ms.sigma_min(), ms.sigma_max());
    const float want[10] = {999, 916, 815, 687, 523, 327, 146, 41, 7, 0};
    for (int i = 0; i < 10; ++i) EXPECT_EQ(ms.timestep(k[static_cast<size_t>(i)]), want[i]) << i;
    // sigma(t) interpolates the log table; integer t gives the table value.
    EXPECT_NEAR(ms.sigma(500.0f), ms.sigmas()[500], 1e-6f);
    const float mid = ms.sigma(500.5f);
    EXPECT_NEAR(std::log(mid), 0.5 * (ms.log_sigmas()[500] + ms.log_sigmas()[501]), 1e-6);
    EXPECT_EQ(ms.percent_to_sigma(0.0), 999999999.9);
    EXPECT_EQ(ms.percent_to_sigma(1.0), 0.0);
}

TEST(ModelSampling, ApplyModelTimestepsGolden) {
    const fs::path dir = weft::testing::goldens_dir() / "components_tiny" / "unet";
    WEFT_REQUIRE_PATH(dir);
    const auto sig = weft::testing::npy_floats(dir / "apply_sigma.npy");
    const auto ts = weft::testing::npy_floats(dir / "apply_timestep.npy");
    const auto ms = ModelSamplingDiscrete::sd1();
    ASSERT_EQ(sig.size(), ts.size());
    for (size_t i = 0; i < sig.size(); ++i) EXPECT_EQ(ms.timestep(sig[i]), ts[i]) << sig[i];
}

TEST(ModelSampling, EpsAndVWrappers) {
    const auto eps = ModelSamplingDiscrete::sd1(Prediction::Eps);
    const auto v = ModelSamplingDiscrete::sd1(Prediction::V);
    const Tensor x = Tensor::from_vector({2}, std::vector<float>{2.0f, -1.0f});
    const Tensor out = Tensor::from_vector({2}, std::vector<float>{0.5f, 0.25f});
    const float s = 3.0f;
    const Tensor de = eps.calculate_denoised(s, out, x);
    EXPECT_FLOAT_EQ(de.data<float>()[0], 2.0f - 3.0f * 0.5f);
    const Tensor dv = v.calculate_denoised(s, out, x);
    EXPECT_NEAR(dv.data<float>()[1], -1.0f / 10.0f - 0.25f * 3.0f / std::sqrt(10.0f), 1e-6f);
    const Tensor in = eps.calculate_input(s, x);
    EXPECT_NEAR(in.data<float>()[0], 2.0f / std::sqrt(10.0f), 1e-6f);
    // Full denoise scales the noise by sqrt(1 + sigma^2), partial by sigma.
    EXPECT_TRUE(eps.is_max_denoise(eps.sigma_max()));
    EXPECT_FALSE(eps.is_max_denoise(1.6f));
    const Tensor lat = Tensor::from_vector({2}, std::vector<float>{1.0f, 1.0f});
    EXPECT_NEAR(eps.noise_scaling(s, x, lat, true).data<float>()[0], 1.0f + 2.0f * std::sqrt(10.0f), 1e-5f);
    EXPECT_NEAR(eps.noise_scaling(s, x, lat, false).data<float>()[0], 1.0f + 6.0f, 1e-6f);
}

TEST(Schedulers, ResearchVectors) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Sigmas n = calculate_sigmas(ms, scheduler_named("normal"), 10);
    const float want[11] = {14.61464f, 7.839883f, 4.609174f, 2.918307f, 1.950161f, 1.344928f,
                            0.932358f, 0.624977f, 0.368658f, 0.029167f, 0.0f};
    ASSERT_EQ(n.size(), 11u);
    for (int i = 0; i < 11; ++i) EXPECT_NEAR(n[static_cast<size_t>(i)], want[i], 2e-6f * (1 + want[i]));
    // ddim_uniform's length quirk: 30 steps give 32 sigmas.
    EXPECT_EQ(calculate_sigmas(ms, scheduler_named("ddim_uniform"), 30).size(), 32u);
    EXPECT_THROW(scheduler_named("nope"), weft::Error);
    EXPECT_EQ(scheduler_names().size(), 9u);
}

void check_index(const fs::path& index_path, double denoise) {
    const auto idx = read_json(index_path);
    const auto ms = ModelSamplingDiscrete::sd1();
    const int steps = idx["steps"].get<int>();
    int checked = 0;
    for (const auto& run : idx["runs"]) {
        const std::string sampler = run["sampler"], scheduler = run["scheduler"];
        const std::string what = sampler + "/" + scheduler;
        for (const auto& cs : run["calculate_sigmas"])
            expect_sigmas_near(calculate_sigmas(ms, scheduler_named(scheduler), cs["steps"].get<int>()), cs["values"], what + " calc");
        expect_sigmas_near(ksampler_sigmas(ms, scheduler_named(scheduler), sampler_named(sampler), steps, denoise), run["sigmas"], what);
        ++checked;
    }
    EXPECT_GT(checked, 10);
}

TEST(Schedulers, MatrixGoldenEveryPair) {
    const fs::path p = weft::testing::goldens_dir() / "sd15_tiny_matrix_seed7_64x64" / "index.json";
    WEFT_REQUIRE_PATH(p);
    check_index(p, 1.0);
}

TEST(Schedulers, Img2ImgGoldenDenoiseHalf) {
    const fs::path p = weft::testing::goldens_dir() / "sd15_tiny_img2img_d0.5_seed7_64x64" / "index.json";
    WEFT_REQUIRE_PATH(p);
    check_index(p, 0.5);
}

TEST(SigmaUtils, DenoiseAndDiscardRules) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Sigmas full12 = calculate_sigmas(ms, scheduler_named("normal"), 12);
    const Sigmas half = ksampler_sigmas(ms, scheduler_named("normal"), sampler_named("euler"), 6, 0.5);
    ASSERT_EQ(half.size(), 7u);
    EXPECT_EQ(half.front(), full12[6]);
    EXPECT_TRUE(ksampler_sigmas(ms, scheduler_named("normal"), sampler_named("euler"), 6, 0.0).empty());
    const Sigmas d2 = ksampler_sigmas(ms, scheduler_named("normal"), sampler_named("dpm_2"), 6, 1.0);
    const Sigmas full7 = calculate_sigmas(ms, scheduler_named("normal"), 7);
    ASSERT_EQ(d2.size(), 7u);
    EXPECT_EQ(d2[5], full7[5]);
    EXPECT_EQ(d2[6], 0.0f);
    EXPECT_EQ(basic_scheduler(ms, scheduler_named("normal"), 6, 0.5), half);
}

TEST(SigmaUtils, SliceSplitFlip) {
    const Sigmas s{10, 8, 6, 4, 2, 0};
    EXPECT_EQ(slice_sigmas(s, 2, 4, false), (Sigmas{6, 4, 2}));
    EXPECT_EQ(slice_sigmas(s, 0, 3, true), (Sigmas{10, 8, 6, 0}));
    EXPECT_TRUE(slice_sigmas(s, 5, 10000, false).empty());
    auto [hi, lo] = split_sigmas(s, 2);
    EXPECT_EQ(hi, (Sigmas{10, 8, 6}));
    EXPECT_EQ(lo, (Sigmas{6, 4, 2, 0}));
    auto [h2, l2] = split_sigmas_denoise(s, 0.4);  // round(5 * 0.4) = 2 steps low
    EXPECT_EQ(h2, (Sigmas{10, 8, 6, 4}));
    EXPECT_EQ(l2, (Sigmas{4, 2, 0}));
    EXPECT_EQ(flip_sigmas(s), (Sigmas{0.0001f, 2, 4, 6, 8, 10}));
}

TEST(SigmaUtils, FixedSchedules) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Sigmas ays = align_your_steps_sigmas("SD1", 10, 1.0);
    ASSERT_EQ(ays.size(), 11u);
    EXPECT_NEAR(ays[1], 6.4745760956f, 1e-6f);
    EXPECT_EQ(ays.back(), 0.0f);
    const Sigmas ays20 = align_your_steps_sigmas("SD1", 20, 1.0);
    ASSERT_EQ(ays20.size(), 21u);
    EXPECT_NEAR(ays20[2], 6.4745760956f, 1e-5f);  // every other point is an original level
    EXPECT_NEAR(ays20[1], std::sqrt(14.6146412293 * 6.4745760956), 1e-4);
    EXPECT_EQ(align_your_steps_sigmas("SD1", 10, 0.5).size(), 6u);
    const Sigmas turbo = sd_turbo_sigmas(ms, 1, 1.0);
    ASSERT_EQ(turbo.size(), 2u);
    EXPECT_NEAR(turbo[0], ms.sigma_max(), 1e-5f);
    EXPECT_NEAR(sd_turbo_sigmas(ms, 2, 0.5)[0], ms.sigmas()[499], 1e-5f);
    const Sigmas vp = vp_sigmas(5);
    EXPECT_EQ(vp.size(), 6u);
    EXPECT_GT(vp[0], vp[1]);
    const Sigmas pe = polyexponential_sigmas(5, 0.1, 10.0, 1.0);
    const Sigmas ex = exponential_sigmas(5, 0.1, 10.0);
    for (size_t i = 0; i < pe.size(); ++i) EXPECT_NEAR(pe[i], ex[i], 1e-5f);
}

}  // namespace
