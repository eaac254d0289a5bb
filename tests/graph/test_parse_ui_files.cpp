// The UI-format converter on the real workflows of shared/ui-workflows: the 16 with the prompt
// ComfyUI made from them are compared with it under the folder README's rules; the others must
// convert, with what their README line describes.
#include "graph/parse_ui.h"
#include "spec_registry.h"

#include <weft/error.h>
#include <weft/workflow.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

fs::path ui_dir() { return weft::testing::shared_dir() / "ui-workflows"; }

json read_json(const fs::path& p) {
    std::ifstream f(p);
    return json::parse(f);
}

class UiFiles : public ::testing::Test {
protected:
    void SetUp() override {
        registry_ = weft::testing::spec_registry();
        if (!registry_ || !fs::is_directory(ui_dir()))
            GTEST_SKIP() << "shared/ui-workflows or shared/spec/comfyui-nodes.json not found under " << weft::testing::shared_dir()
                         << " (WEFT_SHARED_DIR): skipping the real-workflow conversions";
    }
    json convert(const std::string& name) {
        const fs::path p = ui_dir() / name;
        return json::parse(weft::graph::convert_ui_workflow(read_json(p), *registry_, p.string()).to_json());
    }
    std::shared_ptr<const weft::NodeRegistry> registry_;
};

// The README's comparison rules, applied to both sides.
json normalise(json api) {
    for (auto& [id, node] : api.items()) {
        node.erase("_meta");
        node.erase("is_changed");
        json& inputs = node["inputs"];
        if (node["class_type"] == "LoadImage" && inputs.contains("choose file to upload")) {
            inputs["upload"] = inputs["choose file to upload"];
            inputs.erase("choose file to upload");
        }
        // Inputs the nodes gained after 2023 take their defaults.
        if (node["class_type"] == "VAEEncodeForInpaint" && !inputs.contains("grow_mask_by")) inputs["grow_mask_by"] = 6;
        if (node["class_type"] == "SDTurboScheduler" && !inputs.contains("denoise")) inputs["denoise"] = 1.0;
    }
    return api;
}

TEST_F(UiFiles, ConversionsMatchThePromptsComfyUiMade) {
    size_t compared = 0;
    for (const auto& entry : fs::directory_iterator(ui_dir())) {
        const std::string file = entry.path().filename().string();
        const std::string suffix = ".api.json";
        if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        const std::string ui_file = file.substr(0, file.size() - suffix.size()) + ".json";
        SCOPED_TRACE(ui_file);
        json expected = normalise(read_json(entry.path()));
        json actual;
        ASSERT_NO_THROW(actual = normalise(convert(ui_file)));
        EXPECT_EQ(actual, expected) << "got:\n" << actual.dump(1) << "\nexpected:\n" << expected.dump(1);
        ++compared;
    }
    EXPECT_EQ(compared, 16u);
}

TEST_F(UiFiles, EveryWorkflowConverts) {
    size_t converted = 0;
    for (const auto& entry : fs::directory_iterator(ui_dir())) {
        const std::string file = entry.path().filename().string();
        if (entry.path().extension() != ".json" || file.find(".api.json") != std::string::npos) continue;
        SCOPED_TRACE(file);
        json api;
        ASSERT_NO_THROW(api = convert(file));
        // Every emitted node is a real node type, and every link points at an emitted node.
        for (const auto& [id, node] : api.items()) {
            EXPECT_NE(registry_->find(node["class_type"].get<std::string>()), nullptr) << id;
            for (const auto& [name, v] : node["inputs"].items())
                if (v.is_array()) {
                    ASSERT_EQ(v.size(), 2u) << id << "." << name;
                    EXPECT_TRUE(api.contains(v[0].get<std::string>())) << id << "." << name << " -> " << v.dump();
                }
        }
        ++converted;
    }
    EXPECT_EQ(converted, 62u);
}

TEST_F(UiFiles, EmptyPromptsForBypassedMediaAndNotes) {
    EXPECT_EQ(convert("bypass-loadimage.json"), json::object());
    EXPECT_EQ(convert("notes.json"), json::object());
    EXPECT_EQ(convert("subgraph-80-nodes.json"), json::object());
    // A bypassed subgraph instance next to an unconnected KSampler: only the KSampler.
    json api = convert("bypass-subgraph.json");
    ASSERT_EQ(api.size(), 1u);
    EXPECT_EQ(api["1"]["class_type"], "KSampler");
}

TEST_F(UiFiles, LegacyAndNativeReroutePairsGiveTheSamePrompt) {
    for (const char* suffix : {"branching", "floating", "floating-branch"}) {
        SCOPED_TRACE(suffix);
        json legacy = normalise(convert(std::string("reroute-legacy-") + suffix + ".json"));
        json native = normalise(convert(std::string("reroute-native-") + suffix + ".json"));
        EXPECT_EQ(legacy, native) << legacy.dump(1) << "\n" << native.dump(1);
    }
    // The branching pair: one VAE feeds both decoders through the reroutes.
    json api = convert("reroute-legacy-branching.json");
    size_t decoders = 0;
    for (const auto& [id, node] : api.items())
        if (node["class_type"] == "VAEDecode") {
            ++decoders;
            EXPECT_EQ(node["inputs"]["vae"], json::parse(R"(["4", 2])"));
        }
    EXPECT_EQ(decoders, 2u);
}

TEST_F(UiFiles, SubgraphInstancesUsePromotedValues) {
    json multi = convert("subgraph-multi-instance.json");
    EXPECT_EQ(multi["11:10"]["inputs"]["text"], "Alpha\n");
    EXPECT_EQ(multi["12:10"]["inputs"]["text"], "Beta\n");
    EXPECT_EQ(multi["13:10"]["inputs"]["text"], "Gamma\n");
    EXPECT_EQ(multi["12:11"]["class_type"], "KSampler");

    // Seed exposed as a subgraph input: the instance's value wins over the inner one.
    EXPECT_EQ(convert("subgraph-link-seed.json")["10:3"]["inputs"]["seed"], 1);
    // Seed proxied from the inner node: the inner value applies.
    json proxy = convert("subgraph-proxy-seed.json");
    EXPECT_EQ(proxy["10:3"]["inputs"]["seed"], 1);
    EXPECT_EQ(proxy["10:3"]["inputs"]["model"], json::parse(R"(["4", 0])"));
    EXPECT_EQ(proxy["8"]["inputs"]["samples"], json::parse(R"(["10:3", 0])"));

    EXPECT_EQ(convert("subgraph-compressed-slot.json")["2:1"]["inputs"]["batch_size"], 1);
    // A root PrimitiveInt feeds the inner KSampler's seed through the subgraph input.
    json values = convert("subgraph-values-input.json");
    EXPECT_EQ(values["19:12"]["inputs"]["seed"], json::parse(R"(["13", 0])"));
    EXPECT_EQ(values["18"]["inputs"]["images"], json::parse(R"(["19:16", 0])"));
}

TEST_F(UiFiles, NestedSubgraphsGetNestedIds) {
    json api = convert("subgraph-nested-promotion.json");
    // Root "Outer" string -> Sub 0 input string_a -> inner StringConcatenate 3.
    EXPECT_EQ(api["5:3"]["inputs"]["string_a"], json::parse(R"(["1", 0])"));
    EXPECT_EQ(api["5:3"]["inputs"]["string_b"], json::parse(R"(["5:4", 0])"));
    EXPECT_EQ(api["5:4"]["inputs"]["value"], "Inner 1\n");
    EXPECT_EQ(api["5:6:10"]["inputs"]["string_a"], json::parse(R"(["5:3", 0])"));
    EXPECT_EQ(api["5:6:11"]["inputs"]["value"], "Inner 2\n");
    EXPECT_EQ(api["5:6:9:8"]["inputs"]["value"], "Inner 3\n");
    // PreviewAny at the root reads the innermost concatenation through two output boundaries.
    EXPECT_EQ(api["2"]["inputs"]["source"], json::parse(R"(["5:6:9:7", 0])"));
    EXPECT_FALSE(api["2"]["inputs"].contains("preview_text"));
}

TEST_F(UiFiles, PrimitiveNodesAndMutedOutputs) {
    json turbo = convert("ex-sdxl-turbo.json");
    for (const auto& [id, node] : turbo.items()) EXPECT_NE(node["class_type"], "SaveImage") << "the muted SaveImage must be dropped";
    json refiner = convert("ex-sdxl-refiner.json");
    size_t primitives = 0;
    for (const auto& [id, node] : refiner.items()) primitives += node["class_type"] == "PrimitiveNode";
    EXPECT_EQ(primitives, 0u);
    EXPECT_EQ(convert("primitive-combo.json")["2"]["inputs"]["sampler_name"], "euler");
    // A converted input whose widget the node does not have is dropped, as the frontend does.
    json renamed = convert("converted-widget-renamed.json");
    EXPECT_FALSE(renamed["3"]["inputs"].contains("breadth"));
    EXPECT_EQ(renamed["3"]["inputs"]["width"], 512);
}

TEST_F(UiFiles, LoadThroughTheRegistryOverload) {
    weft::Workflow wf = weft::Workflow::load(ui_dir() / "ex-lcm.json", *registry_);
    const json expected = normalise(read_json(ui_dir() / "ex-lcm.api.json"));
    EXPECT_EQ(normalise(json::parse(wf.to_json())), expected);
    EXPECT_THROW(weft::Workflow::load(ui_dir() / "ex-lcm.json"), weft::Error);
}

}  // namespace

namespace {

// Every JSON value of `j`, as JSON pointers.
void collect_pointers(const nlohmann::json& j, const nlohmann::json::json_pointer& at, std::vector<nlohmann::json::json_pointer>& out) {
    out.push_back(at);
    if (j.is_object())
        for (auto it = j.begin(); it != j.end(); ++it) collect_pointers(it.value(), at / it.key(), out);
    else if (j.is_array())
        for (size_t i = 0; i < j.size(); ++i) collect_pointers(j[i], at / i, out);
}

TEST_F(UiFiles, DamagedWorkflowsFailWithWeftErrorsOnly) {
    // Replacing any value of a real workflow by a value of another shape either converts or is a
    // weft::Error: never a crash or a JSON library exception.
    const std::vector<json> replacements = {nullptr, 0, -10, 7, 1e300, "x", json::array(), json::object(), true,
                                            json::array({1, 2}), json::parse(R"({"name": "x", "link": 3})")};
    uint64_t state = 0x9E3779B97F4A7C15ull;  // fixed seed: deterministic
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    size_t converted = 0, rejected = 0;
    for (const char* file : {"subgraph-nested-promotion.json", "subgraph-values-input.json", "ex-sdxl-simple.json",
                             "reroute-legacy-floating.json", "reroutes-complex.json", "subgraph-link-seed.json", "ex-noisy-latents.json"}) {
        const json original = read_json(ui_dir() / file);
        std::vector<json::json_pointer> pointers;
        collect_pointers(original, json::json_pointer(), pointers);
        for (int i = 0; i < 150; ++i) {
            json damaged = original;
            const auto& p = pointers[1 + next() % (pointers.size() - 1)];
            damaged[p] = replacements[next() % replacements.size()];
            try {
                weft::graph::convert_ui_workflow(damaged, *registry_, file);
                ++converted;
            } catch (const weft::Error&) {
                ++rejected;
            } catch (const std::exception& e) {
                ADD_FAILURE() << file << " with " << p.to_string() << " = " << damaged[p].dump() << ": " << e.what();
            }
        }
    }
    EXPECT_GT(converted, 0u);
    EXPECT_GT(rejected, 0u);
}

}  // namespace
