// A converted UI workflow runs like its API form: both go through a Session with small
// executing nodes and give the same outputs. Also: the shipped example workflows in every
// format convert to the same prompt with the built-in nodes.
#include "spec_registry.h"

#include <weft/error.h>
#include <weft/registry.h>
#include <weft/session.h>
#include <weft/workflow.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace {

using json = nlohmann::json;
using namespace weft;

std::shared_ptr<NodeRegistry> arithmetic_registry() {
    auto r = std::make_shared<NodeRegistry>();
    NodeDefinition number{NodeSchema("TNumber").required(Input::integer("value", 0).with_control_after_generate()).output("INT")};
    number.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_int("value")); };
    r->add(std::move(number));
    NodeDefinition add{NodeSchema("TAdd").required(Input::integer("a", 0)).required(Input::integer("b", 0)).output("INT")};
    add.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_int("a") + ctx.get_int("b")); };
    r->add(std::move(add));
    NodeDefinition scale{NodeSchema("TScale").required(Input::type_of("x", "INT").forced_input()).required(Input::integer("factor", 1)).output("INT")};
    scale.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_int("x") * ctx.get_int("factor")); };
    r->add(std::move(scale));
    NodeDefinition result{NodeSchema("TResult").required(Input::type_of("value", "INT").forced_input()).output("INT").output_node()};
    result.execute = [](NodeContext& ctx) {
        ctx.set_output(0, ctx.get_int("value"));
        ctx.set_ui(Dict{{"value", Value(List{Value(ctx.get_int("value"))})}});
    };
    r->add(std::move(result));
    return r;
}

// PrimitiveNode (7) -> TNumber 1 -> bypassed TScale 2 -> Reroute 3 -> subgraph instance 4
// (TAdd with b promoted = 5, then TScale x3; without proxyWidgets every subgraph input that feeds
// a widget has a value in the instance, the linked x too) -> TResult 5; a muted TResult 6; a Note.
const char* kUi = R"({
  "version": 0.4, "last_node_id": 8, "last_link_id": 8,
  "nodes": [
    {"id": 7, "type": "PrimitiveNode", "mode": 0, "outputs": [{"name": "INT", "type": "INT", "links": [7], "widget": {"name": "value"}}],
     "widgets_values": [4, "fixed"]},
    {"id": 1, "type": "TNumber", "mode": 0, "inputs": [{"name": "value", "type": "INT", "widget": {"name": "value"}, "link": 7}],
     "outputs": [{"name": "INT", "type": "INT", "links": [1]}], "widgets_values": [100, "randomize"]},
    {"id": 2, "type": "TScale", "mode": 4, "inputs": [{"name": "x", "type": "INT", "link": 1}],
     "outputs": [{"name": "INT", "type": "INT", "links": [2]}], "widgets_values": [1000]},
    {"id": 3, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 2}], "outputs": [{"name": "", "type": "INT", "links": [3, 6]}]},
    {"id": 4, "type": "11111111-2222-3333-4444-555555555555", "mode": 0,
     "inputs": [{"name": "x", "type": "INT", "link": 3}], "outputs": [{"name": "INT", "type": "INT", "links": [4]}], "widgets_values": [0, 5]},
    {"id": 5, "type": "TResult", "mode": 0, "inputs": [{"name": "value", "type": "INT", "link": 4}], "outputs": [{"name": "INT", "type": "INT", "links": []}]},
    {"id": 6, "type": "TResult", "mode": 2, "inputs": [{"name": "value", "type": "INT", "link": 6}], "outputs": [{"name": "INT", "type": "INT", "links": []}]},
    {"id": 8, "type": "Note", "mode": 0, "widgets_values": ["arithmetic"]}
  ],
  "links": [[1, 1, 0, 2, 0, "INT"], [2, 2, 0, 3, 0, "INT"], [3, 3, 0, 4, 0, "INT"], [4, 4, 0, 5, 0, "INT"],
            [6, 3, 0, 6, 0, "INT"], [7, 7, 0, 1, 0, "INT"]],
  "definitions": {"subgraphs": [{
    "id": "11111111-2222-3333-4444-555555555555", "name": "Add then triple",
    "inputs": [{"name": "x", "type": "INT", "linkIds": [1]}, {"name": "b", "type": "INT", "linkIds": [2]}],
    "outputs": [{"name": "INT", "type": "INT", "linkIds": [4]}],
    "nodes": [
      {"id": 1, "type": "TAdd", "mode": 0,
       "inputs": [{"name": "a", "type": "INT", "widget": {"name": "a"}, "link": 1}, {"name": "b", "type": "INT", "widget": {"name": "b"}, "link": 2}],
       "outputs": [{"name": "INT", "type": "INT", "links": [3]}], "widgets_values": [0, 0]},
      {"id": 2, "type": "TScale", "mode": 0, "inputs": [{"name": "x", "type": "INT", "link": 3}],
       "outputs": [{"name": "INT", "type": "INT", "links": [4]}], "widgets_values": [3]}
    ],
    "links": [
      {"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 1, "target_slot": 0, "type": "INT"},
      {"id": 2, "origin_id": -10, "origin_slot": 1, "target_id": 1, "target_slot": 1, "type": "INT"},
      {"id": 3, "origin_id": 1, "origin_slot": 0, "target_id": 2, "target_slot": 0, "type": "INT"},
      {"id": 4, "origin_id": 2, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "INT"}
    ]}]}
})";

const char* kApi = R"({
  "1": {"class_type": "TNumber", "inputs": {"value": 4}},
  "4:1": {"class_type": "TAdd", "inputs": {"a": ["1", 0], "b": 5}},
  "4:2": {"class_type": "TScale", "inputs": {"factor": 3, "x": ["4:1", 0]}},
  "5": {"class_type": "TResult", "inputs": {"value": ["4:2", 0]}}
})";

TEST(ParseUiSession, ConvertedUiWorkflowRunsLikeItsApiForm) {
    auto registry = arithmetic_registry();
    Workflow ui = Workflow::parse(kUi, "arith.ui.json", *registry);
    Workflow api = Workflow::parse(kApi, "arith.json");

    Session session(registry);
    RunResult a = session.run(ui);
    ASSERT_TRUE(a.ok()) << run_status_name(a.status) << (a.error ? " " + a.error->exception_message : std::string());
    session.clear_cache();
    RunResult b = session.run(api);
    ASSERT_TRUE(b.ok()) << run_status_name(b.status);

    // (4 + 5) * 3: the PrimitiveNode's 4, not the stale widget 100; the bypassed x1000 scale skipped.
    EXPECT_EQ(a.output("5").as_int(), 27);
    EXPECT_EQ(b.output("5").as_int(), 27);
    EXPECT_EQ(a.ui, b.ui);
    EXPECT_EQ(a.outputs.count("6"), 0u);  // the muted output did not run
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(sorted(a.executed), sorted(b.executed));
    EXPECT_EQ(sorted(a.executed), (std::vector<std::string>{"1", "4:1", "4:2", "5"}));
}

json strip_meta(json api) {
    for (auto& [id, node] : api.items()) node.erase("_meta");
    return api;
}

TEST(ParseUiSession, AWorkflowKeepsTheUiGraphItWasConvertedFrom) {
    auto registry = arithmetic_registry();
    const Workflow ui = Workflow::parse(kUi, "arith.ui.json", *registry);
    ASSERT_FALSE(ui.ui_graph().empty());
    const json kept = json::parse(ui.ui_graph());
    EXPECT_EQ(kept, json::parse(kUi)) << "the UI graph is kept whole, to embed in saved outputs";
    EXPECT_TRUE(Workflow::parse(kApi, "arith.json").ui_graph().empty()) << "an API workflow has no UI graph";
}

TEST(ParseUiSession, ShippedExamplesAgreeInEveryFormat) {
    const std::filesystem::path dir = std::filesystem::path(WEFT_SOURCE_DIR) / "workflows";
    if (!std::filesystem::exists(dir / "invert.ui.json")) GTEST_SKIP() << "workflows/invert.ui.json not found";
    auto builtin = builtin_registry();
    std::vector<std::shared_ptr<const NodeRegistry>> registries{builtin};
    if (auto spec = weft::testing::spec_registry()) registries.push_back(spec);
    for (const auto& registry : registries) {
        for (const char* name : {"invert", "subgraph"}) {
            SCOPED_TRACE(name);
            json expected = strip_meta(json::parse(Workflow::load(dir / (std::string(name) + ".json")).to_json()));
            json from_ui = json::parse(Workflow::load(dir / (std::string(name) + ".ui.json"), *registry).to_json());
            EXPECT_EQ(strip_meta(from_ui), expected) << from_ui.dump(1);
        }
        EXPECT_EQ(json::parse(Workflow::load(dir / "invert.ui.json", *registry).to_json())["1"]["_meta"]["title"], "Canvas");
    }
    EXPECT_EQ(json::parse(Workflow::load(dir / "invert.yaml").to_json()), json::parse(Workflow::load(dir / "invert.json").to_json()));
    // Every node the examples use is a built-in one, so they validate.
    Session session(builtin);
    for (const char* file : {"invert.json", "invert.yaml", "invert.ui.json", "subgraph.ui.json"}) {
        SCOPED_TRACE(file);
        ValidationReport report = session.validate(Workflow::load(dir / file, *builtin));
        EXPECT_TRUE(report.ok()) << (report.error ? report.error->message + ": " + report.error->details : std::string());
    }
}

// The built-in nodes' widget order agrees with ComfyUI's: every real UI workflow whose nodes are
// all built in converts the same with the built-in registry as with the spec's interfaces.
TEST(ParseUiSession, BuiltinSchemasConvertRealWorkflowsLikeTheSpec) {
    auto spec = weft::testing::spec_registry();
    const std::filesystem::path dir = weft::testing::shared_dir() / "ui-workflows";
    if (!spec || !std::filesystem::is_directory(dir)) GTEST_SKIP() << "shared/ui-workflows or the node spec not found";
    auto builtin = builtin_registry();
    size_t compared = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string file = entry.path().filename().string();
        if (entry.path().extension() != ".json" || file.find(".api.json") != std::string::npos) continue;
        SCOPED_TRACE(file);
        json by_spec = strip_meta(json::parse(Workflow::load(entry.path(), *spec).to_json()));
        bool all_builtin = !by_spec.empty();
        for (const auto& [id, node] : by_spec.items()) all_builtin = all_builtin && builtin->find(node["class_type"].get<std::string>());
        if (!all_builtin) continue;
        json by_builtin = strip_meta(json::parse(Workflow::load(entry.path(), *builtin).to_json()));
        EXPECT_EQ(by_builtin, by_spec) << by_builtin.dump(1);
        ++compared;
    }
    std::printf("compared %zu real workflows made only of built-in nodes\n", compared);
    EXPECT_GT(compared, 0u);
}

}  // namespace
