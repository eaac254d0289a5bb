// The UI-format converter on hand-made graphs: one test per rule of the frontend's graphToPrompt.
#include "graph/parse_ui.h"

#include <weft/error.h>
#include <weft/registry.h>
#include <weft/workflow.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using json = nlohmann::json;
using namespace weft;

void add(NodeRegistry& r, NodeSchema s) {
    NodeDefinition d{std::move(s)};
    d.execute = [](NodeContext&) {};
    r.add(std::move(d));
}

// A small registry with the shapes the rules depend on.
const NodeRegistry& registry() {
    static const NodeRegistry r = [] {
        NodeRegistry r;
        add(r, NodeSchema("Sampler")
                   .display("The Sampler")
                   .required(Input::type_of("model", "MODEL"))
                   .required(Input::integer("seed", 0).with_control_after_generate())
                   .required(Input::integer("steps", 20).min(1))
                   .required(Input::floating("cfg", 8.0))
                   .required(Input::combo("sampler_name", {"euler", "heun"}))
                   .required(Input::type_of("latent", "LATENT"))
                   .optional(Input::floating("denoise", 1.0))
                   .output("LATENT"));
        // noise_seed gets a control widget from its name alone.
        add(r, NodeSchema("Noise").required(Input::integer("noise_seed", 0)).required(Input::integer("count", 1)).output("NOISE"));
        // Any INT that declares control_after_generate.
        add(r, NodeSchema("Counter").required(Input::integer("value", 0).with_control_after_generate()).output("INT"));
        add(r, NodeSchema("Loader").required(Input::combo("name", {"a.bin", "b.bin"})).output("MODEL").output("LATENT"));
        add(r, NodeSchema("LoadPicture")
                   .required(Input::combo("image", {"x.png"}).with_image_upload())
                   .required(Input::combo("channel", {"alpha", "red"}))
                   .output("IMAGE")
                   .output("MASK"));
        add(r, NodeSchema("Decode").required(Input::type_of("samples", "LATENT")).output("IMAGE"));
        add(r, NodeSchema("Blend")
                   .required(Input::type_of("mask", "MASK"))
                   .required(Input::type_of("image", "IMAGE"))
                   .required(Input::floating("factor", 0.5))
                   .output("IMAGE"));
        add(r, NodeSchema("Save").required(Input::type_of("images", "IMAGE")).required(Input::string("prefix", "out")).output_node());
        add(r, NodeSchema("Text").required(Input::string("text", "")).output("STRING"));
        add(r, NodeSchema("Show").required(Input::type_of("source", "*")).output_node());
        return r;
    }();
    return r;
}

json convert(const json& ui) { return json::parse(graph::convert_ui_workflow(ui, registry(), "<test>").to_json()); }

// The API prompt without _meta, for comparisons of inputs and class types.
json strip_meta(json api) {
    for (auto& [id, node] : api.items()) node.erase("_meta");
    return api;
}

json node(int id, const char* type, json widgets = json::array(), json inputs = json::array(), json outputs = json::array(), int mode = 0) {
    json n = {{"id", id}, {"type", type}, {"mode", mode}, {"inputs", std::move(inputs)}, {"outputs", std::move(outputs)},
              {"properties", json::object()}};
    if (!widgets.is_null()) n["widgets_values"] = std::move(widgets);
    return n;
}

json in(const char* name, const char* type, json link = nullptr) { return {{"name", name}, {"type", type}, {"link", std::move(link)}}; }
json win(const char* name, const char* type, json link) {
    json i = in(name, type, std::move(link));
    i["widget"] = {{"name", name}};
    return i;
}
json out(const char* name, const char* type) { return {{"name", name}, {"type", type}, {"links", json::array()}}; }

json graph04(json nodes, json links) {
    return {{"last_node_id", 99}, {"last_link_id", 99}, {"nodes", std::move(nodes)}, {"links", std::move(links)}, {"version", 0.4}};
}

TEST(ParseUi, WidgetValuesFollowInputOrderAndSkipControlValues) {
    json ui = graph04({node(1, "Loader", {"b.bin"}, json::array(), {out("MODEL", "MODEL"), out("LATENT", "LATENT")}),
                       node(2, "Sampler", {123, "randomize", 30, 6.5, "heun", 0.75},
                            {in("model", "MODEL", 1), in("latent", "LATENT", 2)}, {out("LATENT", "LATENT")}),
                       node(3, "Noise", {77, "fixed", 4}), node(4, "Counter", {9, "increment"})},
                      {{1, 1, 0, 2, 0, "MODEL"}, {2, 1, 1, 2, 1, "LATENT"}});
    json api = convert(ui);
    EXPECT_EQ(strip_meta(api), json::parse(R"({
        "1": {"class_type": "Loader", "inputs": {"name": "b.bin"}},
        "2": {"class_type": "Sampler", "inputs": {"seed": 123, "steps": 30, "cfg": 6.5, "sampler_name": "heun", "denoise": 0.75,
                                                  "model": ["1", 0], "latent": ["1", 1]}},
        "3": {"class_type": "Noise", "inputs": {"noise_seed": 77, "count": 4}},
        "4": {"class_type": "Counter", "inputs": {"value": 9}}})"));
    // Widget values come first, in widget order, then the links (the frontend's key order).
    std::vector<std::string> keys;
    const Workflow wf = graph::convert_ui_workflow(ui, registry(), "<t>");
    for (const auto& [k, v] : wf.find("2")->inputs) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"seed", "steps", "cfg", "sampler_name", "denoise", "model", "latent"}));
}

TEST(ParseUi, UploadWidgetFollowsTheRequiredWidgets) {
    json api = convert(graph04({node(1, "LoadPicture", {"x.png", "red", "image"})}, json::array()));
    EXPECT_EQ(api["1"]["inputs"], json::parse(R"({"image": "x.png", "channel": "red", "upload": "image"})"));
}

TEST(ParseUi, ShortWidgetListsTakeDefaultsAndLongOnesNameTheNode) {
    // Saved before the node gained its optional denoise and before cfg: defaults fill in.
    json api = convert(graph04({node(5, "Sampler", {1, "fixed", 10})}, json::array()));
    EXPECT_EQ(api["5"]["inputs"], json::parse(R"({"seed": 1, "steps": 10, "cfg": 8.0, "sampler_name": "euler", "denoise": 1.0})"));
    // No widgets_values at all.
    EXPECT_EQ(convert(graph04({node(6, "Save", nullptr)}, json::array()))["6"]["inputs"], json::parse(R"({"prefix": "out"})"));

    try {
        convert(graph04({node(7, "Counter", {1, "fixed", 3})}, json::array()));
        FAIL() << "a widget list longer than the schema must be rejected";
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "invalid_prompt");
        EXPECT_EQ(e.node_id(), "7");
        EXPECT_NE(e.message().find("Counter"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("3 widget values"), std::string::npos) << e.message();
    }
}

TEST(ParseUi, WidgetValuesByName) {
    json n = node(1, "Sampler");
    n["widgets_values"] = {{"steps", 12}, {"seed", 4}};
    json api = convert(graph04({n}, json::array()));
    EXPECT_EQ(api["1"]["inputs"], json::parse(R"({"seed": 4, "steps": 12, "cfg": 8.0, "sampler_name": "euler", "denoise": 1.0})"));
}

TEST(ParseUi, TupleAndObjectLinksGiveTheSamePrompt) {
    json nodes = {node(1, "Loader", {"a.bin"}, json::array(), {out("MODEL", "MODEL"), out("LATENT", "LATENT")}),
                  node(2, "Decode", json::array(), {in("samples", "LATENT", 10)}, {out("IMAGE", "IMAGE")}),
                  node(3, "Save", {"p"}, {in("images", "IMAGE", 11)})};
    json v04 = graph04(nodes, {{10, 1, 1, 2, 0, "LATENT"}, {11, 2, 0, 3, 0, "IMAGE"}});
    json v1 = {{"version", 1},
               {"state", {{"lastNodeId", 3}, {"lastLinkId", 11}}},
               {"nodes", nodes},
               {"links",
                {{{"id", 10}, {"origin_id", 1}, {"origin_slot", 1}, {"target_id", 2}, {"target_slot", 0}, {"type", "LATENT"}},
                 {{"id", 11}, {"origin_id", 2}, {"origin_slot", 0}, {"target_id", 3}, {"target_slot", 0}, {"type", "IMAGE"}}}}};
    json a = convert(v04), b = convert(v1);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a["2"]["inputs"]["samples"], json::parse(R"(["1", 1])"));
    EXPECT_EQ(a["3"]["inputs"]["images"], json::parse(R"(["2", 0])"));
}

TEST(ParseUi, MutedNodesAreDroppedWithTheLinksToThem) {
    json ui = graph04({node(1, "Loader", {"a.bin"}, json::array(), {out("MODEL", "MODEL"), out("LATENT", "LATENT")}, 2),
                       node(2, "Decode", json::array(), {in("samples", "LATENT", 10)}, {out("IMAGE", "IMAGE")}),
                       node(3, "Counter", {5, "fixed"}, json::array(), {out("INT", "INT")}, 2),
                       // A widget input linked to a muted node loses its value too, as in the frontend.
                       node(4, "Sampler", {1, "fixed", 2, 3.0, "euler", 1.0}, {win("steps", "INT", 11)})},
                      {{10, 1, 1, 2, 0, "LATENT"}, {11, 3, 0, 4, 0, "INT"}});
    json api = convert(ui);
    EXPECT_FALSE(api.contains("1"));
    EXPECT_FALSE(api.contains("3"));
    EXPECT_EQ(api["2"]["inputs"], json::object());
    EXPECT_FALSE(api["4"]["inputs"].contains("steps"));
    EXPECT_EQ(api["4"]["inputs"]["seed"], 1);
}

TEST(ParseUi, BypassedNodesPassTheirInputOfTheMatchingType) {
    // 1 LoadPicture (IMAGE, MASK) -> 2 Blend (bypassed: mask, image -> IMAGE) -> 3 Save.
    // Output slot 0 (IMAGE): input 0 is a MASK, so the first IMAGE input (slot 1) is passed through.
    json ui = graph04({node(1, "LoadPicture", {"x.png", "alpha", "image"}, json::array(), {out("IMAGE", "IMAGE"), out("MASK", "MASK")}),
                       node(2, "Blend", {0.5}, {in("mask", "MASK", 20), in("image", "IMAGE", 21)}, {out("IMAGE", "IMAGE")}, 4),
                       node(3, "Save", {"p"}, {in("images", "IMAGE", 22)})},
                      {{20, 1, 1, 2, 0, "MASK"}, {21, 1, 0, 2, 1, "IMAGE"}, {22, 2, 0, 3, 0, "IMAGE"}});
    json api = convert(ui);
    EXPECT_FALSE(api.contains("2"));
    EXPECT_EQ(api["3"]["inputs"]["images"], json::parse(R"(["1", 0])"));

    // Same index preferred when compatible: a bypassed Decode-like chain with '*' types.
    json chain = graph04({node(1, "Text", {"hi"}, json::array(), {out("STRING", "STRING")}),
                          node(2, "Show", json::array(), {in("source", "*", 30)}, {out("ANY", "*")}, 4),
                          node(3, "Show", json::array(), {in("source", "*", 31)})},
                         {{30, 1, 0, 2, 0, "STRING"}, {31, 2, 0, 3, 0, "*"}});
    EXPECT_EQ(convert(chain)["3"]["inputs"]["source"], json::parse(R"(["1", 0])"));

    // No input of a compatible type: the link is dropped.
    json none = graph04({node(1, "Loader", {"a.bin"}, json::array(), {out("MODEL", "MODEL"), out("LATENT", "LATENT")}),
                         node(2, "Decode", json::array(), {in("samples", "LATENT", 40)}, {out("IMAGE", "IMAGE")}, 4),
                         node(3, "Save", {"p"}, {in("images", "IMAGE", 41)})},
                        {{40, 1, 1, 2, 0, "LATENT"}, {41, 2, 0, 3, 0, "IMAGE"}});
    EXPECT_EQ(convert(none)["3"]["inputs"], json::parse(R"({"prefix": "p"})"));
}

TEST(ParseUi, LegacyRerouteNodesAreFollowed) {
    json ui = graph04({node(1, "Loader", {"a.bin"}, json::array(), {out("MODEL", "MODEL"), out("LATENT", "LATENT")}),
                       node(2, "Reroute", nullptr, {in("", "*", 50)}, {out("", "LATENT")}),
                       node(3, "Reroute", nullptr, {in("", "*", 51)}, {out("", "LATENT")}),
                       node(4, "Decode", json::array(), {in("samples", "LATENT", 52)}),
                       node(5, "Decode", json::array(), {in("samples", "LATENT", 53)}),
                       node(6, "Reroute", nullptr, {in("", "*", nullptr)}, {out("", "*")}),  // goes nowhere
                       node(7, "Decode", json::array(), {in("samples", "LATENT", 54)})},
                      {{50, 1, 1, 2, 0, "*"}, {51, 2, 0, 3, 0, "*"}, {52, 3, 0, 4, 0, "LATENT"}, {53, 2, 0, 5, 0, "LATENT"},
                       {54, 6, 0, 7, 0, "*"}});
    json api = convert(ui);
    EXPECT_EQ(api.size(), 4u);  // Reroutes are not emitted
    EXPECT_EQ(api["4"]["inputs"]["samples"], json::parse(R"(["1", 1])"));
    EXPECT_EQ(api["5"]["inputs"]["samples"], json::parse(R"(["1", 1])"));
    EXPECT_FALSE(api["7"]["inputs"].contains("samples"));
}

TEST(ParseUi, NativeReroutesLeaveLinksDirect) {
    json ui = graph04({node(1, "Loader", {"a.bin"}, json::array(), {out("MODEL", "MODEL"), out("LATENT", "LATENT")}),
                       node(2, "Decode", json::array(), {in("samples", "LATENT", 60)})},
                      {{60, 1, 1, 2, 0, "LATENT"}});
    ui["extra"] = json::parse(R"({"reroutes": [{"id": 1, "pos": [0, 0], "linkIds": [60]}, {"id": 2, "parentId": 1, "pos": [5, 5], "linkIds": [60]}],
                                 "linkExtensions": [{"id": 60, "parentId": 2}]})");
    ui["links"][0].push_back(2);  // some files add the parent reroute id to the tuple
    EXPECT_EQ(convert(ui)["2"]["inputs"]["samples"], json::parse(R"(["1", 1])"));
    // Schema 1: reroutes at the top level, links as objects with parentId.
    json v1 = {{"version", 1},
               {"nodes", ui["nodes"]},
               {"links", {{{"id", 60}, {"origin_id", 1}, {"origin_slot", 1}, {"target_id", 2}, {"target_slot", 0}, {"type", "LATENT"}, {"parentId", 2}}}},
               {"reroutes", ui["extra"]["reroutes"]}};
    EXPECT_EQ(convert(v1)["2"]["inputs"]["samples"], json::parse(R"(["1", 1])"));
}

TEST(ParseUi, PrimitiveNodeValuesGoIntoTheWidgetsTheyFeed) {
    json prim = node(1, "PrimitiveNode", {42, "increment"}, json::array(), json::array());
    prim["outputs"] = json::parse(R"([{"name": "INT", "type": "INT", "links": [70, 71], "widget": {"name": "steps"}}])");
    json text = node(4, "PrimitiveNode", {"a prompt"}, json::array(), json::array());
    json ui = graph04({prim, text, node(2, "Sampler", {1, "fixed", 20, 8.0, "euler", 1.0}, {win("steps", "INT", 70)}),
                       node(3, "Sampler", {2, "fixed", 20, 8.0, "euler", 1.0}, {win("seed", "INT", 71)}),
                       node(5, "Text", {""}, {win("text", "STRING", 72)}),
                       node(6, "PrimitiveNode", json::array(), json::array(), json::array())},  // unconnected, no value
                      {{70, 1, 0, 2, 0, "INT"}, {71, 1, 0, 3, 0, "INT"}, {72, 4, 0, 5, 0, "STRING"}});
    json api = convert(ui);
    EXPECT_EQ(api.size(), 3u);
    EXPECT_EQ(api["2"]["inputs"]["steps"], 42);
    EXPECT_EQ(api["3"]["inputs"]["seed"], 42);
    EXPECT_EQ(api["5"]["inputs"]["text"], "a prompt");
}

TEST(ParseUi, NotesAreIgnored) {
    json ui = graph04({node(1, "Note", {"remember"}), node(2, "MarkdownNote", {"# title"}), node(3, "Text", {"x"})}, json::array());
    json api = convert(ui);
    EXPECT_EQ(api.size(), 1u);
    EXPECT_TRUE(api.contains("3"));
}

TEST(ParseUi, TitlesGoToMeta) {
    json titled = node(1, "Text", {"x"});
    titled["title"] = "My prompt";
    json api = convert(graph04({titled, node(2, "Sampler", {1, "fixed", 1, 1.0, "euler", 1.0})}, json::array()));
    EXPECT_EQ(api["1"]["_meta"]["title"], "My prompt");
    EXPECT_EQ(api["2"]["_meta"]["title"], "The Sampler");  // the display name by default
}

TEST(ParseUi, ConvertedWidgetsUseTheWidgetNameAndUnknownOnesAreDropped) {
    json n = node(2, "Sampler", {1, "fixed", 20, 8.0, "euler", 1.0},
                  {{{"name", "renamed"}, {"type", "INT"}, {"link", 81}, {"widget", {{"name", "steps"}}}},
                   {{"name", "breadth"}, {"type", "INT"}, {"link", 82}, {"widget", {{"name", "breadth"}}}}});
    json ui = graph04({node(1, "Counter", {5, "fixed"}, json::array(), {out("INT", "INT")}), n},
                      {{81, 1, 0, 2, 5, "INT"}, {82, 1, 0, 2, 6, "INT"}});
    json api = convert(ui);
    EXPECT_EQ(api["2"]["inputs"]["steps"], json::parse(R"(["1", 0])"));
    EXPECT_FALSE(api["2"]["inputs"].contains("breadth"));
    EXPECT_FALSE(api["2"]["inputs"].contains("renamed"));
}

TEST(ParseUi, DanglingLinksAreRemoved) {
    json ui = graph04({node(2, "Decode", json::array(), {in("samples", "LATENT", 90)}), node(3, "Decode", json::array(), {in("samples", "LATENT", 91)})},
                      {{90, 77, 0, 2, 0, "LATENT"}});  // node 77 does not exist; link 91 is missing
    json api = convert(ui);
    EXPECT_EQ(api["2"]["inputs"], json::object());
    EXPECT_EQ(api["3"]["inputs"], json::object());
}

TEST(ParseUi, UnknownNodeTypesAreNamed) {
    json n = node(12, "FancyCustomNode", {1});
    n["title"] = "Fancy";
    try {
        convert(graph04({node(1, "Text", {"x"}), n}, json::array()));
        FAIL() << "an unknown node type must be rejected";
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "missing_node_type");
        EXPECT_EQ(e.node_id(), "12");
        EXPECT_NE(e.message().find("FancyCustomNode"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("#12"), std::string::npos) << e.message();
    }
    // Muted or bypassed, an unknown node is not needed.
    EXPECT_EQ(convert(graph04({node(1, "Text", {"x"}), node(2, "FancyCustomNode", {1}, json::array(), json::array(), 2)}, json::array())).size(), 1u);
}

// A subgraph: input 0 (LATENT) -> inner Decode; inner Text's widget promoted as input 1 "text";
// output 0 <- Decode. Instances 10 and 11, nested use in a second definition.
json subgraph_workflow() {
    json inner = json::parse(R"({
      "id": "aaaaaaaa-0000-0000-0000-000000000001", "name": "Inner",
      "inputNode": {"id": -10}, "outputNode": {"id": -20},
      "inputs": [{"name": "samples", "type": "LATENT", "linkIds": [1]}, {"name": "text", "type": "STRING", "linkIds": [2]}],
      "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [3]}, {"name": "STRING", "type": "STRING", "linkIds": [4]}],
      "widgets": [],
      "nodes": [
        {"id": 1, "type": "Decode", "mode": 0, "inputs": [{"name": "samples", "type": "LATENT", "link": 1}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [3]}]},
        {"id": 2, "type": "Text", "mode": 0, "inputs": [{"name": "text", "type": "STRING", "widget": {"name": "text"}, "link": 2}],
         "outputs": [{"name": "STRING", "type": "STRING", "links": [4]}], "widgets_values": ["inner default"]}
      ],
      "links": [
        {"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 1, "target_slot": 0, "type": "LATENT"},
        {"id": 2, "origin_id": -10, "origin_slot": 1, "target_id": 2, "target_slot": 0, "type": "STRING"},
        {"id": 3, "origin_id": 1, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"},
        {"id": 4, "origin_id": 2, "origin_slot": 0, "target_id": -20, "target_slot": 1, "type": "STRING"}
      ]})");
    json outer = json::parse(R"({
      "id": "bbbbbbbb-0000-0000-0000-000000000002", "name": "Outer",
      "inputs": [{"name": "latent", "type": "LATENT", "linkIds": [1]}],
      "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [2]}],
      "nodes": [
        {"id": 7, "type": "aaaaaaaa-0000-0000-0000-000000000001", "mode": 0,
         "inputs": [{"name": "samples", "type": "LATENT", "link": 1}],
         "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}], "widgets_values": ["from outer definition"]}
      ],
      "links": [
        {"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 7, "target_slot": 0, "type": "LATENT"},
        {"id": 2, "origin_id": 7, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"}
      ]})");
    json root = graph04(
        {node(1, "Loader", {"a.bin"}, json::array(), {out("MODEL", "MODEL"), out("LATENT", "LATENT")}),
         node(10, "aaaaaaaa-0000-0000-0000-000000000001", {"promoted ten"}, {in("samples", "LATENT", 100)},
              {out("IMAGE", "IMAGE"), out("STRING", "STRING")}),
         node(11, "aaaaaaaa-0000-0000-0000-000000000001", json::array(), {in("samples", "LATENT", 101), in("text", "STRING", 104)},
              {out("IMAGE", "IMAGE"), out("STRING", "STRING")}),
         node(12, "Save", {"p"}, {in("images", "IMAGE", 102)}), node(13, "Show", json::array(), {in("source", "*", 103)}),
         node(14, "Text", {"outer text"}, json::array(), {out("STRING", "STRING")}),
         node(20, "bbbbbbbb-0000-0000-0000-000000000002", json::array(), {in("latent", "LATENT", 105)}, {out("IMAGE", "IMAGE")}),
         node(21, "Save", {"q"}, {in("images", "IMAGE", 106)})},
        {{100, 1, 1, 10, 0, "LATENT"},
         {101, 1, 1, 11, 0, "LATENT"},
         {102, 10, 0, 12, 0, "IMAGE"},
         {103, 11, 1, 13, 0, "STRING"},
         {104, 14, 0, 11, 1, "STRING"},
         {105, 1, 1, 20, 0, "LATENT"},
         {106, 20, 0, 21, 0, "IMAGE"}});
    root["definitions"] = {{"subgraphs", {inner, outer}}};
    return root;
}

TEST(ParseUi, SubgraphInstancesAreExpandedWithCompoundIds) {
    json api = strip_meta(convert(subgraph_workflow()));
    EXPECT_EQ(api, json::parse(R"({
      "1": {"class_type": "Loader", "inputs": {"name": "a.bin"}},
      "10:1": {"class_type": "Decode", "inputs": {"samples": ["1", 1]}},
      "10:2": {"class_type": "Text", "inputs": {"text": "promoted ten"}},
      "11:1": {"class_type": "Decode", "inputs": {"samples": ["1", 1]}},
      "11:2": {"class_type": "Text", "inputs": {"text": ["14", 0]}},
      "12": {"class_type": "Save", "inputs": {"prefix": "p", "images": ["10:1", 0]}},
      "13": {"class_type": "Show", "inputs": {"source": ["11:2", 0]}},
      "14": {"class_type": "Text", "inputs": {"text": "outer text"}},
      "20:7:1": {"class_type": "Decode", "inputs": {"samples": ["1", 1]}},
      "20:7:2": {"class_type": "Text", "inputs": {"text": "from outer definition"}},
      "21": {"class_type": "Save", "inputs": {"prefix": "q", "images": ["20:7:1", 0]}}})"))
        << api.dump(2);
}

TEST(ParseUi, ProxyWidgetsSelectThePromotedValues) {
    json ui = subgraph_workflow();
    // Only "-1" entries hold values in the instance; a proxy of an inner widget keeps the inner value.
    ui["nodes"][1]["properties"]["proxyWidgets"] = json::parse(R"([["2", "text"]])");
    ui["nodes"][1]["widgets_values"] = json::array();
    EXPECT_EQ(convert(ui)["10:2"]["inputs"]["text"], "inner default");
    ui["nodes"][1]["properties"]["proxyWidgets"] = json::parse(R"([["2", "text"], ["-1", "text"]])");
    ui["nodes"][1]["widgets_values"] = {"via proxy"};
    EXPECT_EQ(convert(ui)["10:2"]["inputs"]["text"], "via proxy");
}

TEST(ParseUi, MutedOrBypassedSubgraphInstances) {
    json ui = subgraph_workflow();
    ui["nodes"][1]["mode"] = 2;  // instance 10 muted: its nodes vanish, Save 12 loses its input
    json api = convert(ui);
    EXPECT_FALSE(api.contains("10:1"));
    EXPECT_FALSE(api["12"]["inputs"].contains("images"));

    ui = subgraph_workflow();
    ui["nodes"][2]["mode"] = 4;  // instance 11 bypassed: its STRING output passes its "text" input
    api = convert(ui);
    EXPECT_FALSE(api.contains("11:2"));
    EXPECT_EQ(api["13"]["inputs"]["source"], json::parse(R"(["14", 0])"));
}

TEST(ParseUi, SelfContainingSubgraphIsAnError) {
    json def = json::parse(R"({"id": "cccccccc-0000-0000-0000-000000000003", "inputs": [], "outputs": [], "links": [],
                               "nodes": [{"id": 1, "type": "cccccccc-0000-0000-0000-000000000003", "mode": 0}]})");
    json ui = graph04({node(1, "cccccccc-0000-0000-0000-000000000003")}, json::array());
    ui["definitions"] = {{"subgraphs", {def}}};
    EXPECT_THROW(convert(ui), Error);
}

TEST(ParseUi, WorkflowParseNeedsTheRegistryForUiFiles) {
    std::string text = graph04({node(1, "Text", {"x"})}, json::array()).dump();
    try {
        Workflow::parse(text, "ui.json");
        FAIL() << "a UI workflow without a registry must be rejected";
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "invalid_prompt");
        EXPECT_NE(e.message().find("registry"), std::string::npos) << e.message();
    }
    Workflow wf = Workflow::parse(text, "ui.json", registry());
    ASSERT_NE(wf.find("1"), nullptr);
    EXPECT_EQ(wf.find("1")->class_type, "Text");
    // API JSON goes through the registry-taking overload unchanged.
    Workflow api = Workflow::parse(R"({"5": {"class_type": "Text", "inputs": {"text": "y"}}})", "api.json", registry());
    EXPECT_EQ(api.find("5")->find("text")->as_string(), "y");
}

}  // namespace
