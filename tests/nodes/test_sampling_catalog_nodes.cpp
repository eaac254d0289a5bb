// The sampler nodes over the sampling catalog: their combo lists are the catalog's, the seed
// inputs share one maximum, an unknown sampler name is rejected with ComfyUI's value_not_in_list,
// and CONDITIONING extras are parsed into typed entries at the node boundary.
#include "sampling/ksampler.h"
#include "sampling/sampler_catalog.h"
#include "sampling/scheduler_catalog.h"
#include "families/sd1/checkpoint.h"
#include "nodes/sd_objects.h"
#include "nodes/typed_conditioning.h"
#include "single_node_runner.h"

#include <weft/weft.h>

#include <gtest/gtest.h>

#include <utility>
#include <vector>

using namespace weft;
using weft::testing::NodeRun;
using weft::testing::SingleNodeRunner;

namespace {

const Input& input_of(const NodeRegistry& r, const char* node, const char* input) {
    const NodeDefinition* d = r.find(node);
    EXPECT_NE(d, nullptr) << node;
    const Input* in = d->schema.find_input(input);
    EXPECT_NE(in, nullptr) << node << "." << input;
    return *in;
}

ConditioningItem item(Dict extras) { return ConditioningItem{Tensor::zeros({1, 2, 8}), std::make_shared<const Dict>(std::move(extras))}; }

}  // namespace

TEST(SamplingCatalogNodes, CombosAreTheCatalogs) {
    const auto registry = builtin_registry();
    for (const char* node : {"KSampler", "KSamplerAdvanced", "KSamplerSelect"})
        EXPECT_EQ(input_of(*registry, node, "sampler_name").options, models::sampler_names()) << node;
    for (const char* node : {"KSampler", "KSamplerAdvanced", "BasicScheduler"})
        EXPECT_EQ(input_of(*registry, node, "scheduler").options, models::scheduler_names()) << node;
    using Named = std::vector<std::pair<const char*, const char*>>;
    for (const auto& [node, input] : Named{{"KSampler", "seed"}, {"KSamplerAdvanced", "noise_seed"}, {"SamplerCustom", "noise_seed"},
                                           {"RandomNoise", "noise_seed"}}) {
        const Input& in = input_of(*registry, node, input);
        ASSERT_TRUE(in.max_value.has_value()) << node;
        EXPECT_EQ(in.max_value->as_uint64(), models::kSeedMax) << node;
    }
}

TEST(SamplingCatalogNodes, SelectResolvesTheRowAndRejectsUnknownNames) {
    SingleNodeRunner runner;
    for (const models::SamplerInfo& s : models::sampler_catalog()) {
        NodeRun r = runner.run("KSamplerSelect", {{"sampler_name", std::string(s.name)}});
        ASSERT_TRUE(r.ok()) << r.error_text();
        EXPECT_EQ(r.out().as_object<models::SamplerSpec>()->info, &s);
    }
    NodeRun bad = runner.run("KSamplerSelect", {{"sampler_name", "nope"}});
    ASSERT_FALSE(bad.ok());
    bool found = false;
    for (const auto& [id, ne] : bad.result.validation.node_errors)
        for (const ErrorInfo& e : ne.errors)
            if (e.type == "value_not_in_list") {
                found = true;
                EXPECT_EQ(e.extra_info.at("input_name").as_string(), "sampler_name");
            }
    EXPECT_TRUE(found) << bad.error_text();
}

TEST(TypedConditioning, ParsesTheExtras) {
    const Tensor mask = Tensor::full({1, 4, 4}, 1.0f);
    const models::CondList c = nodes::typed_conditioning(
        {item({{"area", List{int64_t{8}, int64_t{6}, int64_t{2}, int64_t{1}}}, {"strength", 0.5}, {"start_percent", 0.2}}),
         item({{"area", List{Value("percentage"), 0.5, 0.25, 0.0, 0.5}}, {"mask", mask}, {"mask_strength", 0.3}, {"set_area_to_bounds", true},
               {"strength", Value("x")}, {"control_apply_to_uncond", true}, {"end_percent", 0.7}}),
         ConditioningItem{Tensor::zeros({1, 2, 8}), nullptr}});
    ASSERT_EQ(c.size(), 3u);
    ASSERT_TRUE(c[0].area.has_value());
    EXPECT_FALSE(c[0].area->percentage);
    EXPECT_EQ(c[0].area->hwyx, (std::array<double, 4>{8, 6, 2, 1}));
    EXPECT_EQ(c[0].strength, 0.5);
    EXPECT_EQ(c[0].start_percent.value_or(-1.0), 0.2);
    EXPECT_FALSE(c[0].end_percent.has_value());
    EXPECT_FALSE(c[0].mask.defined());
    ASSERT_TRUE(c[1].area.has_value());
    EXPECT_TRUE(c[1].area->percentage);
    EXPECT_EQ(c[1].area->hwyx, (std::array<double, 4>{0.5, 0.25, 0.0, 0.5}));
    EXPECT_EQ(c[1].strength, 1.0);  // not a number: the default, as ComfyUI's lookup with a default
    EXPECT_TRUE(c[1].mask.defined());
    EXPECT_EQ(c[1].mask_strength, 0.3);
    EXPECT_TRUE(c[1].set_area_to_bounds);
    EXPECT_TRUE(c[1].control_apply_to_uncond);
    EXPECT_EQ(c[1].end_percent.value_or(-1.0), 0.7);
    EXPECT_FALSE(c[2].area.has_value());
    EXPECT_EQ(c[2].strength, 1.0);
    EXPECT_EQ(c[2].control, nullptr);
}

TEST(TypedConditioning, BadValuesAreErrorsNamingTheNodeInput) {
    EXPECT_THROW(nodes::typed_conditioning({item({{"area", Value("top")}})}), Error);
    EXPECT_THROW(nodes::typed_conditioning({item({{"area", List{int64_t{1}, int64_t{2}}}})}), Error);
    EXPECT_THROW(nodes::typed_conditioning({item({{"mask", 3.0}})}), Error);
    SingleNodeRunner runner;
    const Value model = nodes::model_value(std::make_shared<const models::DiffusionModel>());
    const Value good(Conditioning{item({})});
    const Value bad(Conditioning{item({{"area", Value("top")}})});
    // The positive input is parsed first, before the model is asked anything.
    NodeRun r = runner.run("CFGGuider", {{"model", model}, {"positive", bad}, {"negative", good}, {"cfg", 7.0}});
    ASSERT_FALSE(r.ok());
    ASSERT_TRUE(r.result.error.has_value()) << r.error_text();
    EXPECT_NE(r.result.error->exception_message.find("positive"), std::string::npos) << r.result.error->exception_message;
    EXPECT_NE(r.result.error->exception_message.find("area"), std::string::npos) << r.result.error->exception_message;
}
