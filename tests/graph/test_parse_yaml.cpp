// The API format written in YAML: same structure and rules as the JSON form, YAML typing, and
// errors with line numbers.
#include <unistd.h>
#include <weft/error.h>
#include <weft/workflow.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace {

using json = nlohmann::json;
using weft::Error;
using weft::Workflow;

const char* kYaml = R"(# an inverted canvas
"1":
  class_type: EmptyImage
  _meta: {title: Canvas}
  inputs:
    width: 64
    height: 0x20
    batch_size: 1
    color: 3368652
2:
  class_type: ImageInvert
  inputs:
    image: [1, 0]
"3":
  class_type: SaveImage
  inputs:
    images: ["2", 0]
    filename_prefix: weft_yaml
)";

TEST(ParseYaml, SameWorkflowAsTheJsonForm) {
    Workflow y = Workflow::parse(kYaml, "demo.yaml");
    Workflow j = Workflow::parse(R"({
      "1": {"class_type": "EmptyImage", "_meta": {"title": "Canvas"},
            "inputs": {"width": 64, "height": 32, "batch_size": 1, "color": 3368652}},
      "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
      "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "weft_yaml"}}})");
    EXPECT_EQ(json::parse(y.to_json()), json::parse(j.to_json()));
    EXPECT_EQ(y.find("1")->title, "Canvas");
    // A link written with a number id names the node "1".
    const weft::Value* image = y.find("2")->find("image");
    ASSERT_TRUE(image && image->is_link());
    EXPECT_EQ(image->as_link(), (weft::Link{"1", 0}));
}

TEST(ParseYaml, ScalarsAreTypedByTheCoreSchema) {
    Workflow wf = Workflow::parse(R"(
n:
  class_type: Anything
  inputs:
    i: -42
    big: 18446744073709551615
    f: 2.5e-1
    inf: -.inf
    t: true
    f2: False
    nul: ~
    s: hello world
    quoted_number: "12"
    quoted_bool: 'true'
    list: {__value__: [1, two, 3.0]}
    multiline: |
      line one
      line two
)",
                                 "t.yaml");
    const weft::WorkflowNode* n = wf.find("n");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->find("i")->as_int(), -42);
    EXPECT_EQ(n->find("big")->as_uint64(), 18446744073709551615ull);
    EXPECT_DOUBLE_EQ(n->find("f")->as_float(), 0.25);
    EXPECT_TRUE(std::isinf(n->find("inf")->as_float()) && n->find("inf")->as_float() < 0);
    EXPECT_EQ(n->find("t")->as_bool(), true);
    EXPECT_EQ(n->find("f2")->as_bool(), false);
    EXPECT_TRUE(n->find("nul")->is_null());
    EXPECT_EQ(n->find("s")->as_string(), "hello world");
    EXPECT_EQ(n->find("quoted_number")->as_string(), "12");
    EXPECT_EQ(n->find("quoted_bool")->as_string(), "true");
    ASSERT_TRUE(n->find("list")->is_list());
    EXPECT_EQ(n->find("list")->as_list().size(), 3u);
    EXPECT_EQ(n->find("list")->as_list()[1].as_string(), "two");
    EXPECT_EQ(n->find("multiline")->as_string(), "line one\nline two\n");
}

void expect_error(const std::string& text, const std::string& needle, const std::string& line, const std::string& node = {}) {
    try {
        Workflow::parse(text, "bad.yaml");
        FAIL() << "expected an error for:\n" << text;
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "invalid_prompt");
        const std::string all = std::string(e.what()) + " | " + e.details();
        EXPECT_NE(all.find(needle), std::string::npos) << all;
        EXPECT_NE(all.find(line), std::string::npos) << all;
        if (!node.empty()) {
            EXPECT_EQ(e.node_id(), node);
        }
    }
}

TEST(ParseYaml, ErrorsGiveLineNumbers) {
    expect_error("\"1\":\n  class_type: A\n  inputs: {a: [1, 2}\n", "Invalid YAML", "line 3");
    expect_error("\"1\":\n  class_type: A\n\"2\":\n  inputs: {}\n", "class_type", "line 4", "2");
    expect_error("\"1\":\n  class_type: A\n  inputs:\n    x: [1, 2, 3]\n", "Bad linked input", "line 4", "1");
    expect_error("\"1\":\n  class_type: A\n  inputs:\n    x: [\"2\", slot]\n", "slot", "line 4", "1");
    expect_error("\"1\":\n  class_type: A\n  inputs: [1]\n", "inputs must be a mapping", "line 3", "1");
    expect_error("\"1\": 5\n", "Node must be a mapping", "line 1", "1");
    expect_error("just some text\n", "Unrecognised workflow format", "line 1");
}

TEST(ParseYaml, LoadsYamlFiles) {
    const auto path = std::filesystem::temp_directory_path() / ("weft_test_parse_yaml_" + std::to_string(::getpid()) + ".yaml");
    {
        std::ofstream f(path);
        f << kYaml;
    }
    Workflow wf = Workflow::load(path);
    std::filesystem::remove(path);
    EXPECT_EQ(wf.size(), 3u);
    EXPECT_EQ(wf.find("3")->find("filename_prefix")->as_string(), "weft_yaml");
}

TEST(ParseYaml, ShippedYamlExampleMatchesItsJsonForm) {
#ifdef WEFT_SOURCE_DIR
    const std::filesystem::path dir = std::filesystem::path(WEFT_SOURCE_DIR) / "workflows";
    if (!std::filesystem::exists(dir / "invert.yaml")) GTEST_SKIP() << "workflows/invert.yaml not found";
    EXPECT_EQ(json::parse(Workflow::load(dir / "invert.yaml").to_json()), json::parse(Workflow::load(dir / "invert.json").to_json()));
#else
    GTEST_SKIP() << "WEFT_SOURCE_DIR not defined";
#endif
}

}  // namespace
