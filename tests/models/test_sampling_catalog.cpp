// The sampler and scheduler catalogs: ComfyUI's lists in its order, the rows' properties, name
// resolution, and that calculate_sigmas runs the row's function.
#include "sampling/sampler_catalog.h"
#include "sampling/scheduler_catalog.h"
#include "sampling/sigma_utils.h"

#include <weft/error.h>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

using namespace weft::models;

TEST(SamplerCatalog, NamesAreComfyUIsListInOrderAndUnique) {
    const auto& names = sampler_names();
    ASSERT_EQ(names.size(), sampler_catalog().size());
    ASSERT_EQ(names.size(), 44u);
    EXPECT_EQ(names.front(), "euler");
    EXPECT_EQ(names[2], "euler_ancestral");
    EXPECT_EQ(names.back(), "uni_pc_bh2");
    EXPECT_EQ(names[names.size() - 3], "ddim");
    for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], sampler_catalog()[i].name);
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
    for (const SamplerInfo& s : sampler_catalog()) EXPECT_NE(s.fn, nullptr) << s.name;
}

TEST(SamplerCatalog, RowsCarryTheirProperties) {
    std::vector<std::string> discard, uncond;
    for (const SamplerInfo& s : sampler_catalog()) {
        if (s.discards_penultimate_sigma) discard.emplace_back(s.name);
        if (s.needs_uncond) uncond.emplace_back(s.name);
        // The *_cfg_pp family, and only it, reads the uncond prediction.
        EXPECT_EQ(s.needs_uncond, s.name.ends_with("_cfg_pp")) << s.name;
    }
    EXPECT_EQ(discard, (std::vector<std::string>{"dpm_2", "dpm_2_ancestral", "uni_pc", "uni_pc_bh2"}));
    EXPECT_EQ(uncond.size(), 7u);
    EXPECT_EQ(sampler_named("euler").noise, StepNoise::None);
    EXPECT_EQ(sampler_named("euler_ancestral").noise, StepNoise::Generator);
    EXPECT_EQ(sampler_named("dpmpp_2m_sde_gpu").noise, StepNoise::BrownianTree);
    // ddim is Euler over the schedule; the _gpu twins run their CPU function.
    EXPECT_EQ(sampler_named("ddim").fn, sampler_named("euler").fn);
    EXPECT_EQ(sampler_named("dpmpp_sde_gpu").fn, sampler_named("dpmpp_sde").fn);
}

TEST(SamplerCatalog, UnknownNamesAreRejected) {
    EXPECT_EQ(find_sampler("nope"), nullptr);
    EXPECT_EQ(find_sampler("euler"), &sampler_catalog()[0]);
    try {
        sampler_named("nope");
        FAIL() << "no error";
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "value_not_in_list");
    }
    try {
        scheduler_named("nope");
        FAIL() << "no error";
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "value_not_in_list");
    }
}

TEST(SchedulerCatalog, NamesAndFunctions) {
    EXPECT_EQ(scheduler_names(), (std::vector<std::string>{"simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta",
                                                            "normal", "linear_quadratic", "kl_optimal"}));
    const auto ms = ModelSamplingDiscrete::sd1();
    EXPECT_EQ(calculate_sigmas(ms, scheduler_named("karras"), 7), karras_sigmas(7, ms.sigma_min(), ms.sigma_max()));
    EXPECT_EQ(calculate_sigmas(ms, scheduler_named("sgm_uniform"), 5), normal_scheduler(ms, 5, true));
    EXPECT_TRUE(calculate_sigmas(ms, scheduler_named("normal"), 0).empty());
    // ComfyUI's use_ms: karras, exponential and kl_optimal only read sigma_min / sigma_max.
    for (const SchedulerInfo& s : scheduler_catalog())
        EXPECT_EQ(s.uses_model_sampling, s.name != "karras" && s.name != "exponential" && s.name != "kl_optimal") << s.name;
}

TEST(SchedulerCatalog, KSamplerSigmasApplyTheSamplersDiscardRule) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const SchedulerInfo& normal = scheduler_named("normal");
    // dpm_2 asks for 7 steps and drops the second-to-last sigma: 7 sigmas for 6 steps.
    Sigmas seven = calculate_sigmas(ms, normal, 7);
    seven.erase(seven.end() - 2);
    EXPECT_EQ(ksampler_sigmas(ms, normal, sampler_named("dpm_2"), 6), seven);
    EXPECT_EQ(ksampler_sigmas(ms, normal, sampler_named("euler"), 6), calculate_sigmas(ms, normal, 6));
}
