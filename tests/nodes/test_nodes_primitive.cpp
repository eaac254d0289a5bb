// The first built-in nodes: primitives, string nodes, PreviewAny, EmptyImage, ImageInvert,
// GetImageSize, run through a real Session; and their interfaces against ComfyUI's.
#include "node_runner.h"
#include "spec_registry.h"

#include <weft/weft.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

using weft::testing::NodeRunner;

namespace {

// Runs `class_type` with `value` through a PreviewAny and returns what it shows.
std::string preview_of(NodeRunner& nr, const std::string& class_type, weft::Value value) {
    weft::Workflow wf;
    wf.add("1", class_type).set("value", std::move(value));
    wf.add("2", "PreviewAny").link("source", "1", 0);
    return NodeRunner::preview_text(nr.run(wf), "2");
}

std::string concat(NodeRunner& nr, const std::string& a, const std::string& b, const std::string& d) {
    weft::Workflow wf;
    wf.add("1", "StringConcatenate").set("string_a", a).set("string_b", b).set("delimiter", d);
    wf.add("2", "PreviewAny").link("source", "1", 0);
    return NodeRunner::preview_text(nr.run(wf), "2");
}

std::string replace(NodeRunner& nr, const std::string& s, const std::string& find, const std::string& with) {
    weft::Workflow wf;
    wf.add("1", "StringReplace").set("string", s).set("find", find).set("replace", with);
    wf.add("2", "PreviewAny").link("source", "1", 0);
    return NodeRunner::preview_text(nr.run(wf), "2");
}

// An input's type, with both spellings of a combo ([values] and "COMBO" + {"options": values})
// reduced to the value list.
nlohmann::json combo_or_type(const nlohmann::json& decl) {
    if (decl[0] == "COMBO" && decl.size() > 1 && decl[1].contains("options")) return decl[1]["options"];
    return decl[0];
}

nlohmann::json unwrap_one(const nlohmann::json& j) { return j.is_array() && j.size() == 1 ? j[0] : j; }

}  // namespace

TEST(PrimitiveNodes, PassTheirValueOn) {
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "PrimitiveInt").set("value", int64_t{-123456789012});
    wf.add("2", "PrimitiveFloat").set("value", 2.5);
    wf.add("3", "PrimitiveString").set("value", "abc");
    wf.add("4", "PrimitiveStringMultiline").set("value", "line 1\nline 2");
    wf.add("5", "PrimitiveBoolean").set("value", true);
    for (const char* id : {"1", "2", "3", "4", "5"}) wf.add(std::string("p") + id, "PreviewAny").link("source", id, 0);
    const weft::RunResult r = nr.run(wf, {"1", "2", "3", "4", "5"});
    EXPECT_EQ(r.output("1").as_int(), -123456789012);
    EXPECT_DOUBLE_EQ(r.output("2").as_float(), 2.5);
    EXPECT_EQ(r.output("3").as_string(), "abc");
    EXPECT_EQ(r.output("4").as_string(), "line 1\nline 2");
    EXPECT_TRUE(r.output("5").as_bool());
}

TEST(PreviewAny, ShowsValuesAsPythonWould) {
    NodeRunner nr;
    EXPECT_EQ(preview_of(nr, "PrimitiveInt", 42), "42");
    EXPECT_EQ(preview_of(nr, "PrimitiveBoolean", true), "True");
    EXPECT_EQ(preview_of(nr, "PrimitiveBoolean", false), "False");
    EXPECT_EQ(preview_of(nr, "PrimitiveString", "as is \"quoted\""), "as is \"quoted\"");
    // Python's float repr: shortest round trip, ".0" when integral, exponent past 1e16.
    EXPECT_EQ(preview_of(nr, "PrimitiveFloat", 0.1), "0.1");
    EXPECT_EQ(preview_of(nr, "PrimitiveFloat", 2.0), "2.0");
    EXPECT_EQ(preview_of(nr, "PrimitiveFloat", -0.00001), "-1e-05");
    EXPECT_EQ(preview_of(nr, "PrimitiveFloat", 0.0001), "0.0001");
    EXPECT_EQ(preview_of(nr, "PrimitiveFloat", 1e16), "1e+16");
    EXPECT_EQ(preview_of(nr, "PrimitiveFloat", 123456.789), "123456.789");
}

TEST(PreviewAny, ReportsTextUiAndNoOutputs) {
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "PrimitiveString").set("value", "hi");
    wf.add("2", "PreviewAny").link("source", "1", 0);
    const weft::RunResult r = nr.run(wf);
    ASSERT_TRUE(r.ui.count("2"));
    const weft::Dict& ui = r.ui.at("2");
    ASSERT_EQ(ui.size(), 1u);
    ASSERT_EQ(ui.at("text").as_list().size(), 1u);
    EXPECT_EQ(ui.at("text").as_list()[0].as_string(), "hi");
}

TEST(StringNodes, ConcatenateAndReplaceLikePython) {
    NodeRunner nr;
    EXPECT_EQ(concat(nr, "Hello", "world", ", "), "Hello, world");
    EXPECT_EQ(concat(nr, "a", "b", ""), "ab");
    EXPECT_EQ(replace(nr, "banana", "an", "AN"), "bANANa");
    EXPECT_EQ(replace(nr, "aaaa", "aa", "b"), "bb");           // non-overlapping, left to right
    EXPECT_EQ(replace(nr, "abc", "x", "y"), "abc");
    EXPECT_EQ(replace(nr, "ab\xc3\xa9", "", "-"), "-a-b-\xc3\xa9-");  // empty find: around each character
}

TEST(StringConcatenate, EveryInputIsRequiredInAnApiWorkflow) {
    // As in ComfyUI, defaults serve the UI: an API workflow must give every required input.
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "StringConcatenate").set("string_a", "x").set("string_b", "y");
    wf.add("2", "PreviewAny").link("source", "1", 0);
    const weft::ValidationReport v = nr.session().validate(wf);
    ASSERT_TRUE(v.node_errors.count("1"));
    EXPECT_EQ(v.node_errors.at("1").errors.at(0).type, "required_input_missing");
    EXPECT_EQ(v.node_errors.at("1").errors.at(0).details, "delimiter");
}

TEST(PrimitiveNodes, ValueIsRequiredWithoutDefault) {
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "PrimitiveInt");
    wf.add("2", "PreviewAny").link("source", "1", 0);
    const weft::ValidationReport v = nr.session().validate(wf);
    ASSERT_TRUE(v.node_errors.count("1")) << weft::validation_to_json(v);
    EXPECT_EQ(v.node_errors.at("1").errors.at(0).type, "required_input_missing");
}

TEST(EmptyImage, FillsTheColourAsBytesOver255) {
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "EmptyImage").set("width", 5).set("height", 3).set("batch_size", 2).set("color", 0x336699);
    wf.add("2", "GetImageSize").link("image", "1", 0);
    wf.add("3", "PreviewAny").link("source", "2", 0);
    const weft::RunResult r = nr.run(wf, {"1", "2"});
    const weft::Tensor img = r.output("1").as_tensor();
    ASSERT_EQ(img.shape(), (weft::Shape{2, 3, 5, 3}));
    ASSERT_EQ(img.dtype(), weft::DType::F32);
    const float* p = img.contiguous().data<float>();
    for (int64_t i = 0; i < img.numel(); i += 3) {
        ASSERT_FLOAT_EQ(p[i], 0x33 / 255.0f);
        ASSERT_FLOAT_EQ(p[i + 1], 0x66 / 255.0f);
        ASSERT_FLOAT_EQ(p[i + 2], 0x99 / 255.0f);
    }
    EXPECT_EQ(r.output("2", 0).as_int(), 5);  // width
    EXPECT_EQ(r.output("2", 1).as_int(), 3);  // height
    EXPECT_EQ(r.output("2", 2).as_int(), 2);  // batch_size
}

TEST(EmptyImage, BlackWhenColourIsZero) {
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "EmptyImage").set("width", 7).set("height", 9).set("batch_size", 1).set("color", 0);
    wf.add("2", "GetImageSize").link("image", "1", 0);
    wf.add("3", "PreviewAny").link("source", "2", 0);
    const weft::RunResult r = nr.run(wf, {"1"});
    const weft::Tensor img = r.output("1").as_tensor();
    ASSERT_EQ(img.shape(), (weft::Shape{1, 9, 7, 3}));
    const float* p = img.contiguous().data<float>();
    float maxv = 0;
    for (int64_t i = 0; i < img.numel(); ++i) maxv = std::max(maxv, p[i]);
    EXPECT_EQ(maxv, 0.0f);
}

TEST(EmptyImage, RangesAreValidated) {
    NodeRunner nr;
    for (auto [input, value, type] : {std::tuple{"width", 0, "value_smaller_than_min"},
                                      std::tuple{"height", 16385, "value_bigger_than_max"},
                                      std::tuple{"color", 16777216, "value_bigger_than_max"}}) {
        weft::Workflow wf;
        wf.add("1", "EmptyImage").set("width", 8).set("height", 8).set("batch_size", 1).set("color", 0).set(input, value);
        wf.add("2", "PreviewImage").link("images", "1", 0);
        const weft::ValidationReport v = nr.session().validate(wf);
        ASSERT_TRUE(v.node_errors.count("1")) << input;
        EXPECT_EQ(v.node_errors.at("1").errors.at(0).type, type) << input;
    }
}

TEST(ImageInvert, IsOneMinusTheImage) {
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "EmptyImage").set("width", 4).set("height", 2).set("batch_size", 1).set("color", 0x00FF40);
    wf.add("2", "ImageInvert").link("image", "1", 0);
    wf.add("3", "GetImageSize").link("image", "2", 0);
    wf.add("4", "PreviewAny").link("source", "3", 0);
    const weft::RunResult r = nr.run(wf, {"1", "2"});
    const weft::Tensor a = r.output("1").as_tensor().contiguous(), b = r.output("2").as_tensor().contiguous();
    ASSERT_EQ(a.shape(), b.shape());
    for (int64_t i = 0; i < a.numel(); ++i) ASSERT_FLOAT_EQ(b.data<float>()[i], 1.0f - a.data<float>()[i]);
    EXPECT_FLOAT_EQ(b.data<float>()[0], 1.0f);
    EXPECT_FLOAT_EQ(b.data<float>()[1], 0.0f);
}

// Every built-in node that ComfyUI also has declares the same interface: input names and order,
// types, defaults, ranges, widget options, outputs, category, output_node.
TEST(BuiltinInterfaces, MatchComfyUIObjectInfo) {
    const auto spec_path = weft::testing::shared_dir() / "spec" / "comfyui-nodes.json";
    std::ifstream in(spec_path);
    if (!in) GTEST_SKIP() << "no " << spec_path << " (WEFT_SHARED_DIR absent)";
    const nlohmann::json all = nlohmann::json::parse(in);
    const nlohmann::json& spec = all["nodes"];
    const std::set<std::string> tier = all["tiers"]["runtime-core"].get<std::set<std::string>>();
    // Combos listing files of the reference machine's folders are examples, not interface.
    const std::set<std::pair<std::string, std::string>> file_combos = {
        {"LoadImage", "image"}, {"LoadImageMask", "image"}, {"LoadLatent", "latent"}};
    const auto registry = weft::builtin_registry();
    const nlohmann::json ours = nlohmann::json::parse(weft::object_info_json(*registry, weft::Folders{}));
    int compared = 0;
    for (const std::string& name : registry->names()) {
        if (!spec.contains(name) || !tier.count(name)) continue;
        SCOPED_TRACE(name);
        ++compared;
        const nlohmann::json& want = spec[name];
        const nlohmann::json& got = ours.at(name);
        EXPECT_EQ(got["output"], want["output"]);
        EXPECT_EQ(got["output_name"], want["output_name"]);
        EXPECT_EQ(got["output_is_list"], want["output_is_list"]);
        EXPECT_EQ(got["output_node"], want["output_node"]);
        EXPECT_EQ(got["category"], want["category"]);
        if (!want["display_name"].is_null()) EXPECT_EQ(got["display_name"], want["display_name"]);
        for (const auto& [section, order] : got["input_order"].items()) {
            if (want["input_order"].contains(section)) EXPECT_EQ(order, want["input_order"][section]) << section;
            else EXPECT_TRUE(order.empty()) << section;
        }
        for (const auto& [section, inputs] : want["input"].items()) {
            for (const auto& [input, decl] : inputs.items()) {
                SCOPED_TRACE(section + "." + input);
                ASSERT_TRUE(got["input"].contains(section) && got["input"][section].contains(input));
                const nlohmann::json& g = got["input"][section][input];
                if (section == "hidden") {  // "UNIQUE_ID" or, from V3 nodes, ["UNIQUE_ID"]
                    EXPECT_EQ(unwrap_one(g), unwrap_one(decl));
                    continue;
                }
                if (!file_combos.count({name, input})) EXPECT_EQ(combo_or_type(g), combo_or_type(decl));
                if (decl.size() < 2) continue;
                for (const char* key : {"default", "min", "max", "step", "multiline", "display", "control_after_generate"}) {
                    if (decl[1].contains(key)) {
                        if (decl[1][key] == false && !(g.size() > 1 && g[1].contains(key))) continue;  // false = absent
                        ASSERT_TRUE(g.size() > 1 && g[1].contains(key)) << key;
                        if (decl[1][key].is_number() && g[1][key].is_number())
                            EXPECT_DOUBLE_EQ(g[1][key].get<double>(), decl[1][key].get<double>()) << key;
                        else
                            EXPECT_EQ(g[1][key], decl[1][key]) << key;
                    } else if (std::string(key) == "default" && g.size() > 1 && g[1].contains(key)) {
                        // A combo's implicit default is its first value; anything else has none.
                        const nlohmann::json values = combo_or_type(decl);
                        const bool first_of_combo = values.is_array() && !values.empty() && g[1][key] == values[0];
                        EXPECT_TRUE(first_of_combo) << "ComfyUI declares no default";
                    }
                }
            }
        }
    }
    EXPECT_GE(compared, 13);
}
