// The video-tier nodes declare ComfyUI's interfaces (spec/comfyui-nodes.json, tier "video"):
// inputs in order with types, combo values, defaults and ranges; outputs; category; output_node.
#include "spec_registry.h"

#include <weft/weft.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace {

nlohmann::json combo_or_type(const nlohmann::json& decl) {
    if (decl[0] == "COMBO" && decl.size() > 1 && decl[1].contains("options")) return decl[1]["options"];
    return decl[0];
}

}  // namespace

TEST(VideoInterfaces, MatchComfyUIObjectInfo) {
    const auto spec_path = weft::testing::shared_dir() / "spec" / "comfyui-nodes.json";
    std::ifstream in(spec_path);
    if (!in) GTEST_SKIP() << "no " << spec_path << " (WEFT_SHARED_DIR absent)";
    const nlohmann::json all = nlohmann::json::parse(in);
    const auto tier = all["tiers"]["video"].get<std::set<std::string>>();
    const nlohmann::json ours = nlohmann::json::parse(weft::object_info_json(*weft::builtin_registry(), weft::Folders{}));
    for (const std::string name : {"LoadVideo", "CreateVideo", "GetVideoComponents", "SaveVideo", "SaveWEBM",
                                   "SaveAnimatedWEBP", "SaveAnimatedPNG"}) {
        SCOPED_TRACE(name);
        EXPECT_TRUE(tier.count(name)) << "the spec's video tier lists it";
        ASSERT_TRUE(ours.contains(name)) << "registered";
        const nlohmann::json& want = all["nodes"][name];
        const nlohmann::json& got = ours[name];
        EXPECT_EQ(got["output"], want["output"]);
        EXPECT_EQ(got["output_name"], want["output_name"]);
        EXPECT_EQ(got["output_node"], want["output_node"]);
        EXPECT_EQ(got["category"], want["category"]);
        EXPECT_EQ(got["experimental"], want["experimental"]);
        if (!want["display_name"].is_null()) EXPECT_EQ(got["display_name"], want["display_name"]);
        for (const auto& [section, order] : want["input_order"].items()) EXPECT_EQ(got["input_order"][section], order) << section;
        for (const auto& [section, inputs] : want["input"].items()) {
            if (section == "hidden") continue;
            for (const auto& [input, decl] : inputs.items()) {
                SCOPED_TRACE(input);
                const nlohmann::json& g = got["input"][section][input];
                ASSERT_FALSE(g.is_null());
                if (!(name == "LoadVideo" && input == "file")) EXPECT_EQ(combo_or_type(g), combo_or_type(decl));  // files vary
                if (decl.size() < 2) continue;
                for (const char* key : {"default", "min", "max", "step"}) {
                    if (!decl[1].contains(key)) continue;
                    ASSERT_TRUE(g.size() > 1 && g[1].contains(key)) << key;
                    if (decl[1][key].is_number() && g[1][key].is_number())
                        EXPECT_DOUBLE_EQ(g[1][key].get<double>(), decl[1][key].get<double>()) << key;
                    else
                        EXPECT_EQ(g[1][key], decl[1][key]) << key;
                }
            }
        }
    }
}
