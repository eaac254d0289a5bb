// The custom-sampling and model-sampling nodes through a real session: their interfaces against
// ComfyUI's /object_info, the scheduler nodes against models/sampling, the sigma tools, the
// model patches, and on the tiny SD1.5 checkpoint SamplerCustom / SamplerCustomAdvanced against
// KSampler (bit for bit) and against ComfyUI's matrix goldens.
#include "sampling/sigma_utils.h"
#include "families/family.h"
#include "node_test_util.h"
#include "nodes/sampling_objects.h"
#include "nodes/sd_objects.h"
#include "npy.h"
#include "sd15_tiny.h"
#include "single_node_runner.h"

#include <weft/weft.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

using namespace weft;
using weft::testing::NodeRun;
using weft::testing::SingleNodeRunner;
using weft::testing::max_abs_diff;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kNodes = {
    "SamplerCustom", "SamplerCustomAdvanced", "KSamplerSelect", "BasicScheduler", "KarrasScheduler", "ExponentialScheduler",
    "PolyexponentialScheduler", "SDTurboScheduler", "VPScheduler", "BetaSamplingScheduler", "AlignYourStepsScheduler", "SplitSigmas",
    "SplitSigmasDenoise", "FlipSigmas", "RandomNoise", "DisableNoise", "CFGGuider", "BasicGuider", "DualCFGGuider",
    "ModelSamplingDiscrete", "RescaleCFG"};

models::Sigmas sigmas_of(const NodeRun& r, size_t slot = 0) {
    const Tensor t = r.tensor(slot).contiguous();
    EXPECT_EQ(t.dim(), 1);
    return models::Sigmas(t.data<float>(), t.data<float>() + t.numel());
}

Value sigmas(const models::Sigmas& s) { return nodes::sigmas_value(s); }

/// A MODEL with the SD1 schedule and an empty network: enough for the scheduler nodes.
Value schedule_only_model() { return nodes::model_value(std::make_shared<const models::DiffusionModel>()); }

TEST(CustomSamplingNodes, InterfacesMatchComfyUI) {
    const fs::path spec_path = weft::testing::shared_folder() / "spec" / "comfyui-nodes.json";
    std::ifstream in(spec_path);
    if (!in) GTEST_SKIP() << "no " << spec_path << " (WEFT_SHARED_DIR absent)";
    const nlohmann::json spec = nlohmann::json::parse(in)["nodes"];
    const auto registry = weft::builtin_registry();
    const nlohmann::json ours = nlohmann::json::parse(weft::object_info_json(*registry, weft::Folders{}));
    for (const std::string& name : kNodes) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(ours.contains(name));
        const nlohmann::json& want = spec.at(name);
        const nlohmann::json& got = ours.at(name);
        EXPECT_EQ(got["output"], want["output"]);
        EXPECT_EQ(got["output_name"], want["output_name"]);
        EXPECT_EQ(got["category"], want["category"]);
        EXPECT_EQ(got["input_order"]["required"], want["input_order"]["required"]);
        for (const auto& [input, decl] : want["input"]["required"].items()) {
            SCOPED_TRACE(input);
            const nlohmann::json& g = got["input"]["required"][input];
            // A combo is ["COMBO", {"options": [...]}] (V3) or [[...]] (old style): compare the lists.
            auto type_or_options = [](const nlohmann::json& d) { return d[0] == "COMBO" ? d[1]["options"] : d[0]; };
            EXPECT_EQ(type_or_options(g), type_or_options(decl));
            if (decl.size() < 2) continue;
            for (const char* key : {"default", "min", "max"})
                if (decl[1].contains(key)) {
                    ASSERT_TRUE(g.size() > 1 && g[1].contains(key)) << key;
                    if (decl[1][key].is_number() && g[1][key].is_number())
                        EXPECT_DOUBLE_EQ(g[1][key].get<double>(), decl[1][key].get<double>()) << key;
                    else
                        EXPECT_EQ(g[1][key], decl[1][key]) << key;
                }
        }
    }
}

TEST(CustomSamplingNodes, SchedulerNodesGiveTheLibrarySigmas) {
    SingleNodeRunner runner;
    const auto ms = models::ModelSamplingDiscrete::sd1();
    for (const std::string& sch : models::scheduler_names()) {
        SCOPED_TRACE(sch);
        NodeRun r = runner.run("BasicScheduler", {{"model", schedule_only_model()}, {"scheduler", sch}, {"steps", 7}, {"denoise", 0.6}});
        ASSERT_TRUE(r.ok()) << r.error_text();
        const models::Sigmas got = sigmas_of(r);
        EXPECT_EQ(got, models::basic_scheduler(ms, models::scheduler_named(sch), 7, 0.6));
        EXPECT_EQ(got.size(), 8u);
    }
    NodeRun r = runner.run("KarrasScheduler", {{"steps", 9}, {"sigma_max", 10.0}, {"sigma_min", 0.1}, {"rho", 5.0}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), models::karras_sigmas(9, 0.1, 10.0, 5.0));
    r = runner.run("ExponentialScheduler", {{"steps", 6}, {"sigma_max", 14.614642}, {"sigma_min", 0.0291675}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), models::exponential_sigmas(6, 0.0291675, 14.614642));
    r = runner.run("PolyexponentialScheduler", {{"steps", 6}, {"sigma_max", 14.614642}, {"sigma_min", 0.0291675}, {"rho", 2.0}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), models::polyexponential_sigmas(6, 0.0291675, 14.614642, 2.0));
    r = runner.run("VPScheduler", {{"steps", 5}, {"beta_d", 19.9}, {"beta_min", 0.1}, {"eps_s", 0.001}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), models::vp_sigmas(5, 19.9, 0.1, 0.001));
    r = runner.run("SDTurboScheduler", {{"model", schedule_only_model()}, {"steps", 3}, {"denoise", 0.5}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), models::sd_turbo_sigmas(ms, 3, 0.5));
    EXPECT_EQ(sigmas_of(r).size(), 4u);
    EXPECT_FLOAT_EQ(sigmas_of(r)[0], ms.sigma(499.0f));
    r = runner.run("BetaSamplingScheduler", {{"model", schedule_only_model()}, {"steps", 10}, {"alpha", 0.5}, {"beta", 0.7}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), models::beta_scheduler(ms, 10, 0.5, 0.7));
    r = runner.run("AlignYourStepsScheduler", {{"model_type", "SD1"}, {"steps", 10}, {"denoise", 1.0}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), models::align_your_steps_sigmas("SD1", 10, 1.0));
    EXPECT_NEAR(sigmas_of(r)[1], 6.4745760956, 1e-5);
}

TEST(CustomSamplingNodes, SigmaTools) {
    SingleNodeRunner runner;
    const models::Sigmas s = {14.6f, 7.0f, 3.0f, 1.0f, 0.3f, 0.0f};
    NodeRun r = runner.run("SplitSigmas", {{"sigmas", sigmas(s)}, {"step", 2}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r, 0), (models::Sigmas{14.6f, 7.0f, 3.0f}));
    EXPECT_EQ(sigmas_of(r, 1), (models::Sigmas{3.0f, 1.0f, 0.3f, 0.0f}));
    r = runner.run("SplitSigmasDenoise", {{"sigmas", sigmas(s)}, {"denoise", 0.4}});  // round(5 * 0.4) = 2 low steps
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r, 0), (models::Sigmas{14.6f, 7.0f, 3.0f, 1.0f}));
    EXPECT_EQ(sigmas_of(r, 1), (models::Sigmas{1.0f, 0.3f, 0.0f}));
    r = runner.run("FlipSigmas", {{"sigmas", sigmas(s)}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(sigmas_of(r), (models::Sigmas{0.0001f, 0.3f, 1.0f, 3.0f, 7.0f, 14.6f}));
    // A SIGMAS input must be a 1-D tensor.
    r = runner.run("FlipSigmas", {{"sigmas", Value(Tensor::zeros({2, 2}))}});
    EXPECT_FALSE(r.ok());
}

TEST(CustomSamplingNodes, SamplerNoiseAndModelPatches) {
    SingleNodeRunner runner;
    NodeRun r = runner.run("KSamplerSelect", {{"sampler_name", "dpmpp_2m"}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(r.out().as_object_ref().type_name, "SAMPLER");
    EXPECT_EQ(r.out().as_object<models::SamplerSpec>()->info, &models::sampler_named("dpmpp_2m"));
    r = runner.run("RandomNoise", {{"noise_seed", Value(uint64_t{models::kSeedMax})}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_TRUE(r.out().as_object<models::NoiseSource>()->random);
    EXPECT_EQ(r.out().as_object<models::NoiseSource>()->seed, models::kSeedMax);
    r = runner.run("DisableNoise", {});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const auto off = r.out().as_object<models::NoiseSource>();
    EXPECT_FALSE(off->random);
    EXPECT_EQ(max_abs_diff(off->generate({1, 4, 2, 2}, {}), Tensor::zeros({1, 4, 2, 2})), 0.0);

    auto base = std::make_shared<models::DiffusionModel>();
    base->bytes = 1234;
    const Value model = nodes::model_value(base);
    r = runner.run("ModelSamplingDiscrete", {{"model", model}, {"sampling", "v_prediction"}, {"zsnr", true}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    auto patched = r.out().as_object<models::DiffusionModel>();
    EXPECT_NE(patched.get(), base.get());
    EXPECT_EQ(patched->sampling.prediction(), models::Prediction::V);
    EXPECT_TRUE(patched->sampling.zsnr());
    EXPECT_EQ(patched->bytes, 1234u);
    EXPECT_EQ(base->sampling.prediction(), models::Prediction::Eps) << "the input MODEL is left as it was";
    r = runner.run("ModelSamplingDiscrete", {{"model", model}, {"sampling", "lcm"}, {"zsnr", false}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(r.out().as_object<models::DiffusionModel>()->sampling.sigmas().size(), 50u);

    r = runner.run("RescaleCFG", {{"model", model}, {"multiplier", 0.7}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_TRUE(static_cast<bool>(r.out().as_object<models::DiffusionModel>()->guidance.cfg_function));
    EXPECT_FALSE(static_cast<bool>(base->guidance.cfg_function));
}

// ---- the tiny SD1.5 checkpoint ----

struct Tiny {
    Value model;
    Value positive, negative;
    std::string why;
};

Tiny& tiny() {
    static Tiny t = [] {
        Tiny r;
        const fs::path ckpt = weft::testing::tiny_sd15_checkpoint(r.why);
        const fs::path golden = weft::testing::shared_folder() / "goldens" / "sd15_tiny_seed42_64x64";
        if (ckpt.empty()) return r;
        if (!fs::exists(golden / "cond_pos.npy")) {
            r.why = "goldens absent: " + golden.string();
            return r;
        }
        r.model = nodes::model_value(models::load_checkpoint(ckpt.string(), nullptr).model);
        r.positive = Value(Conditioning{ConditioningItem{weft::testing::load_npy(golden / "cond_pos.npy"), nullptr}});
        r.negative = Value(Conditioning{ConditioningItem{weft::testing::load_npy(golden / "cond_neg.npy"), nullptr}});
        return r;
    }();
    return t;
}

#define REQUIRE_TINY()                                   \
    if (tiny().model.is_null()) GTEST_SKIP() << tiny().why

Value empty_latent() { return Value(Latent{Tensor::zeros({1, 4, 8, 8}), {}, {}}); }

double rel_err(const Tensor& got, const Tensor& want) {
    double num = 0, den = 0;
    const Tensor g = got.contiguous(), w = want.contiguous();
    for (int64_t i = 0; i < w.numel(); ++i) {
        num = std::max(num, double(std::fabs(g.data<float>()[i] - w.data<float>()[i])));
        den = std::max(den, double(std::fabs(w.data<float>()[i])));
    }
    return num / den;
}

TEST(CustomSamplingTiny, SamplerCustomEqualsKSamplerAndTheGolden) {
    REQUIRE_TINY();
    SingleNodeRunner runner;
    const fs::path matrix = weft::testing::shared_folder() / "goldens" / "sd15_tiny_matrix_seed7_64x64";
    // One pair keeps the test fast (the tiny UNet runs 36 times); the golden covers the rest.
    for (const auto& [sampler, scheduler] : std::vector<std::pair<std::string, std::string>>{{"dpmpp_2m", "karras"}}) {
        SCOPED_TRACE(sampler + "/" + scheduler);
        NodeRun k = runner.run("KSampler", {{"model", tiny().model}, {"seed", 7}, {"steps", 6}, {"cfg", 5.0}, {"sampler_name", sampler},
                                            {"scheduler", scheduler}, {"positive", tiny().positive}, {"negative", tiny().negative},
                                            {"latent_image", empty_latent()}, {"denoise", 1.0}});
        ASSERT_TRUE(k.ok()) << k.error_text();
        NodeRun sel = runner.run("KSamplerSelect", {{"sampler_name", sampler}});
        NodeRun sch = runner.run("BasicScheduler", {{"model", tiny().model}, {"scheduler", scheduler}, {"steps", 6}, {"denoise", 1.0}});
        ASSERT_TRUE(sel.ok() && sch.ok());
        NodeRun c = runner.run("SamplerCustom", {{"model", tiny().model}, {"add_noise", true}, {"noise_seed", 7}, {"cfg", 5.0},
                                                 {"positive", tiny().positive}, {"negative", tiny().negative}, {"sampler", sel.out()},
                                                 {"sigmas", sch.out()}, {"latent_image", empty_latent()}});
        ASSERT_TRUE(c.ok()) << c.error_text();
        EXPECT_EQ(max_abs_diff(c.latent(0).samples, k.latent().samples), 0.0);
        // The last step goes to sigma 0, where the sampler's x is its last prediction.
        EXPECT_LT(rel_err(c.latent(1).samples, c.latent(0).samples), 1e-5);

        NodeRun noise = runner.run("RandomNoise", {{"noise_seed", 7}});
        NodeRun guider = runner.run("CFGGuider", {{"model", tiny().model}, {"positive", tiny().positive}, {"negative", tiny().negative}, {"cfg", 5.0}});
        ASSERT_TRUE(noise.ok() && guider.ok()) << guider.error_text();
        NodeRun a = runner.run("SamplerCustomAdvanced", {{"noise", noise.out()}, {"guider", guider.out()}, {"sampler", sel.out()},
                                                         {"sigmas", sch.out()}, {"latent_image", empty_latent()}});
        ASSERT_TRUE(a.ok()) << a.error_text();
        EXPECT_EQ(max_abs_diff(a.latent(0).samples, k.latent().samples), 0.0);

        const fs::path want = matrix / (sampler + "__" + scheduler + "_samples.npy");
        if (fs::exists(want)) EXPECT_LT(rel_err(c.latent(0).samples, weft::testing::load_npy(want)), 1e-4);
    }
}

TEST(CustomSamplingTiny, SplitSigmasTwoAdvancedRunsEqualOne) {
    REQUIRE_TINY();
    SingleNodeRunner runner;
    NodeRun sel = runner.run("KSamplerSelect", {{"sampler_name", "euler"}});
    NodeRun sch = runner.run("BasicScheduler", {{"model", tiny().model}, {"scheduler", "normal"}, {"steps", 4}, {"denoise", 1.0}});
    NodeRun split = runner.run("SplitSigmas", {{"sigmas", sch.out()}, {"step", 2}});
    NodeRun noise = runner.run("RandomNoise", {{"noise_seed", 7}});
    NodeRun none = runner.run("DisableNoise", {});
    NodeRun guider = runner.run("CFGGuider", {{"model", tiny().model}, {"positive", tiny().positive}, {"negative", tiny().negative}, {"cfg", 5.0}});
    ASSERT_TRUE(sel.ok() && sch.ok() && split.ok() && noise.ok() && none.ok() && guider.ok());
    NodeRun whole = runner.run("SamplerCustomAdvanced", {{"noise", noise.out()}, {"guider", guider.out()}, {"sampler", sel.out()},
                                                         {"sigmas", sch.out()}, {"latent_image", empty_latent()}});
    NodeRun first = runner.run("SamplerCustomAdvanced", {{"noise", noise.out()}, {"guider", guider.out()}, {"sampler", sel.out()},
                                                         {"sigmas", split.out(0)}, {"latent_image", empty_latent()}});
    ASSERT_TRUE(whole.ok() && first.ok()) << first.error_text();
    NodeRun second = runner.run("SamplerCustomAdvanced", {{"noise", none.out()}, {"guider", guider.out()}, {"sampler", sel.out()},
                                                          {"sigmas", split.out(1)}, {"latent_image", first.out(0)}});
    ASSERT_TRUE(second.ok()) << second.error_text();
    EXPECT_LT(rel_err(second.latent(0).samples, whole.latent(0).samples), 1e-5);
    // The first half stops mid-way: its output still carries noise, its denoised output does not.
    EXPECT_GT(rel_err(first.latent(0).samples, first.latent(1).samples), 1e-2);
}

TEST(CustomSamplingTiny, BasicGuiderIsCfgOneAndDualCfgRuns) {
    REQUIRE_TINY();
    SingleNodeRunner runner;
    NodeRun sel = runner.run("KSamplerSelect", {{"sampler_name", "euler"}});
    NodeRun sch = runner.run("BasicScheduler", {{"model", tiny().model}, {"scheduler", "simple"}, {"steps", 2}, {"denoise", 1.0}});
    NodeRun noise = runner.run("RandomNoise", {{"noise_seed", 3}});
    NodeRun basic = runner.run("BasicGuider", {{"model", tiny().model}, {"conditioning", tiny().positive}});
    NodeRun cfg1 = runner.run("CFGGuider", {{"model", tiny().model}, {"positive", tiny().positive}, {"negative", tiny().negative}, {"cfg", 1.0}});
    NodeRun dual = runner.run("DualCFGGuider", {{"model", tiny().model}, {"cond1", tiny().positive}, {"cond2", tiny().positive},
                                                {"negative", tiny().negative}, {"cfg_conds", 3.0}, {"cfg_cond2_negative", 5.0}, {"style", "regular"}});
    NodeRun cfg5 = runner.run("CFGGuider", {{"model", tiny().model}, {"positive", tiny().positive}, {"negative", tiny().negative}, {"cfg", 5.0}});
    ASSERT_TRUE(sel.ok() && sch.ok() && noise.ok() && basic.ok() && cfg1.ok() && dual.ok() && cfg5.ok()) << dual.error_text();
    auto run = [&](const Value& g) {
        NodeRun r = runner.run("SamplerCustomAdvanced", {{"noise", noise.out()}, {"guider", g}, {"sampler", sel.out()}, {"sigmas", sch.out()},
                                                         {"latent_image", empty_latent()}});
        EXPECT_TRUE(r.ok()) << r.error_text();
        return r.ok() ? r.latent(0).samples : Tensor();
    };
    EXPECT_EQ(max_abs_diff(run(basic.out()), run(cfg1.out())), 0.0);
    // cond1 == cond2: the cond1-vs-cond2 term vanishes, leaving CFG at cfg_cond2_negative.
    EXPECT_LT(rel_err(run(dual.out()), run(cfg5.out())), 1e-5);
}

TEST(CustomSamplingTiny, RescaleCfgChangesKSamplerOnlyWhenApplied) {
    REQUIRE_TINY();
    SingleNodeRunner runner;
    NodeRun patched = runner.run("RescaleCFG", {{"model", tiny().model}, {"multiplier", 0.0}});
    NodeRun strong = runner.run("RescaleCFG", {{"model", tiny().model}, {"multiplier", 1.0}});
    ASSERT_TRUE(patched.ok() && strong.ok());
    auto ksample = [&](const Value& m) {
        NodeRun k = runner.run("KSampler", {{"model", m}, {"seed", 7}, {"steps", 2}, {"cfg", 5.0}, {"sampler_name", "euler"},
                                            {"scheduler", "normal"}, {"positive", tiny().positive}, {"negative", tiny().negative},
                                            {"latent_image", empty_latent()}, {"denoise", 1.0}});
        EXPECT_TRUE(k.ok()) << k.error_text();
        return k.ok() ? k.latent().samples : Tensor();
    };
    const Tensor plain = ksample(tiny().model);
    EXPECT_LT(rel_err(ksample(patched.out()), plain), 1e-4) << "multiplier 0 is plain CFG";
    EXPECT_GT(rel_err(ksample(strong.out()), plain), 1e-3);
}

}  // namespace
