// API-format workflow parsing, writing, and loading.
#include <weft/error.h>
#include <weft/workflow.h>

#include "graph_fixture.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace weft;

namespace {

Error parse_error(std::string_view text) {
    try {
        Workflow::parse(text);
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "no error for: " << text;
    return Error(ErrorCode::InternalError, "none");
}

}  // namespace

TEST(ParseApi, NodesInputsLinksAndTitles) {
    Workflow wf = Workflow::parse(R"({
      "3": {"class_type": "KSampler", "inputs": {"seed": 42, "cfg": 7.5, "name": "x", "model": ["4", 0], "positive": ["6", 1]},
            "_meta": {"title": "My Sampler"}},
      "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
      "6": {"class_type": "CLIPTextEncode", "inputs": {}}
    })");
    ASSERT_EQ(wf.size(), 3u);
    const WorkflowNode* n = wf.find("3");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->class_type, "KSampler");
    EXPECT_EQ(n->title, "My Sampler");
    EXPECT_EQ(*n->find("seed"), Value(42));
    EXPECT_TRUE(n->find("cfg")->is_float());
    EXPECT_EQ(n->find("model")->as_link(), (Link{"4", 0}));
    EXPECT_EQ(n->find("positive")->as_link(), (Link{"6", 1}));
    EXPECT_EQ(wf.find("4")->title, "");
    // Insertion order of the file is kept.
    EXPECT_EQ(n->inputs[0].first, "seed");
    EXPECT_EQ(n->inputs[4].first, "positive");
}

TEST(ParseApi, AcceptsPromptBody) {
    Workflow wf = Workflow::parse(R"({"client_id": "abc", "prompt": {"1": {"class_type": "A", "inputs": {"x": 1}}}})");
    ASSERT_EQ(wf.size(), 1u);
    EXPECT_EQ(wf.find("1")->class_type, "A");
    // A node whose id is "prompt" is still a node.
    Workflow wf2 = Workflow::parse(R"({"prompt": {"class_type": "A", "inputs": {}}})");
    ASSERT_NE(wf2.find("prompt"), nullptr);
}

TEST(ParseApi, LinkQuirks) {
    Workflow wf = Workflow::parse(R"({"1": {"class_type": "A", "inputs": {
        "float_slot": ["2", 1.0], "numeric_id": [4, 0], "bad_slot": ["2", 0.5], "str_slot": ["2", "0"]}}})");
    const WorkflowNode* n = wf.find("1");
    EXPECT_EQ(n->find("float_slot")->as_link(), (Link{"2", 1}));
    EXPECT_EQ(n->find("numeric_id")->as_link(), (Link{"4", 0}));  // lenient: numeric id read as text
    EXPECT_EQ(n->find("bad_slot")->as_link().slot, -1);
    EXPECT_EQ(n->find("str_slot")->as_link().slot, -1);
}

TEST(ParseApi, ValueWrapperUnwrapped) {
    Workflow wf = Workflow::parse(R"({"1": {"class_type": "A", "inputs": {
        "sizes": {"__value__": [1, 2, 3]}, "pair": {"__value__": ["2", 0]}, "obj": {"k": [1, 2]}}}})");
    const WorkflowNode* n = wf.find("1");
    EXPECT_EQ(*n->find("sizes"), Value(List{1, 2, 3}));
    EXPECT_TRUE(n->find("pair")->is_list());  // a wrapped 2-list is data, not a link
    EXPECT_EQ(*n->find("obj"), Value(Dict{{"k", List{1, 2}}}));
}

TEST(ParseApi, BigIntegersKeepTheirValue) {
    Workflow wf = Workflow::parse(R"({"1": {"class_type": "A", "inputs": {"seed": 18446744073709551615, "neg": -9223372036854775808}}})");
    EXPECT_EQ(wf.find("1")->find("seed")->as_uint64(), 18446744073709551615ull);
    EXPECT_EQ(wf.find("1")->find("neg")->as_int(), std::numeric_limits<int64_t>::min());
}

TEST(ParseApi, MalformedJsonReportsLineAndColumn) {
    Error e = parse_error("{\n  \"1\": {\"class_type\": \"A\",\n   oops}\n}");
    EXPECT_EQ(e.type(), "invalid_prompt");
    EXPECT_NE(e.details().find("line 3"), std::string::npos) << e.details();
    EXPECT_NE(e.details().find("column 4"), std::string::npos) << e.details();
}

TEST(ParseApi, StructuralErrorsNameTheNode) {
    Error a = parse_error(R"({"7": {"inputs": {}}})");
    EXPECT_EQ(a.type(), "invalid_prompt");
    EXPECT_EQ(a.details(), "Node ID '#7'");
    EXPECT_EQ(a.node_id(), "7");
    EXPECT_NE(a.message().find("class_type"), std::string::npos);
    Error b = parse_error(R"({"8": 5})");
    EXPECT_EQ(b.details(), "Node ID '#8'");
    Error c = parse_error(R"({"9": {"class_type": "A", "inputs": []}})");
    EXPECT_EQ(c.details(), "Node ID '#9'");
    Error d = parse_error(R"({"9": {"class_type": "A", "inputs": {"x": [1, 2, 3]}}})");
    EXPECT_NE(d.message().find("Bad linked input"), std::string::npos);
    EXPECT_EQ(d.input_name(), "x");
    EXPECT_EQ(parse_error("[1, 2]").type(), "invalid_prompt");
    EXPECT_EQ(parse_error("").type(), "invalid_prompt");
    EXPECT_EQ(parse_error("not json").type(), "invalid_prompt");
}

TEST(Workflow, BuildEditAndRoundTrip) {
    Workflow wf;
    wf.add("1", "EmptyImage").set("width", 64).set("height", 64);
    wf.add("2", "ImageInvert").link("image", "1", 0);
    wf.add("3", "SaveImage").link("images", "2", 0).set("filename_prefix", "demo").set("sizes", List{1, 2});
    wf.find("3")->title = "Save";
    EXPECT_THROW(wf.add("1", "X"), Error);
    wf.set_input("1", "width", 128);
    EXPECT_EQ(*wf.find("1")->find("width"), Value(128));
    EXPECT_EQ(wf.find("1")->inputs.size(), 2u);  // replaced, not added
    EXPECT_THROW(wf.set_input("99", "x", 1), Error);

    std::string json = wf.to_json();
    auto j = nlohmann::json::parse(json);
    EXPECT_EQ(j["2"]["inputs"]["image"], nlohmann::json::parse(R"(["1", 0])"));
    EXPECT_EQ(j["3"]["inputs"]["sizes"], nlohmann::json::parse(R"({"__value__": [1, 2]})"));
    EXPECT_EQ(j["3"]["_meta"]["title"], "Save");
    EXPECT_EQ(j["1"]["class_type"], "EmptyImage");

    Workflow back = Workflow::parse(json);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back.nodes()[0].id, "1");  // order kept
    EXPECT_EQ(back.find("3")->inputs, wf.find("3")->inputs);
    EXPECT_EQ(back.find("3")->title, "Save");
    EXPECT_EQ(back.to_json(), json);

    wf.remove("2");
    EXPECT_EQ(wf.find("2"), nullptr);
    ASSERT_NE(wf.find("3"), nullptr);
    EXPECT_EQ(wf.find("3")->class_type, "SaveImage");
    wf.find("3")->erase("sizes");
    EXPECT_EQ(wf.find("3")->find("sizes"), nullptr);
}

TEST(Workflow, LoadNamesThePath) {
    auto dir = std::filesystem::temp_directory_path() / ("weft_graph_parse_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto good = dir / "good.json";
    std::ofstream(good) << R"({"1": {"class_type": "A", "inputs": {"x": 1}}})";
    EXPECT_EQ(Workflow::load(good).size(), 1u);

    auto bad = dir / "bad.json";
    std::ofstream(bad) << "{\"1\": ";
    try {
        Workflow::load(bad);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.path(), bad.string());
        EXPECT_EQ(e.code(), ErrorCode::InvalidPrompt);
        EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos);
    }
    try {
        Workflow::load(dir / "missing.json");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.path(), (dir / "missing.json").string());
        EXPECT_EQ(e.code(), ErrorCode::FileNotFound) << "an I/O failure is not a parse failure";
    }
    try {
        Workflow::load(dir);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidFile) << e.what();
    }
    std::filesystem::remove_all(dir);
}
