// `weft validate`: "ok" and exit 0, or ComfyUI's {error, node_errors} JSON and exit 2.
#include "cli_test_util.h"

using weft::testing::CliTest;

namespace {

// The parts every ComfyUI error object has.
void expect_error_shape(const nlohmann::json& e) {
    ASSERT_TRUE(e.is_object()) << e.dump();
    EXPECT_TRUE(e["type"].is_string());
    EXPECT_TRUE(e["message"].is_string());
    EXPECT_TRUE(e.contains("details"));
    EXPECT_TRUE(e.contains("extra_info"));
}

}  // namespace

TEST_F(CliTest, ValidateAcceptsTheDemo) {
    const auto r = weft({"validate", demo_workflow().string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "ok\n");
}

TEST_F(CliTest, ValidateUnknownClassType) {
    nlohmann::json wf = demo();
    wf["2"]["class_type"] = "NoSuchNode";
    const auto r = weft({"validate", workflow("unknown.json", wf)});
    EXPECT_EQ(r.exit_code, 2);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    expect_error_shape(j["error"]);
    EXPECT_TRUE(j["error"]["type"] == "invalid_prompt" || j["error"]["type"] == "missing_node_type") << j.dump();
    EXPECT_NE(j["error"].dump().find("NoSuchNode"), std::string::npos) << j.dump();
    EXPECT_TRUE(j["node_errors"].is_object());
}

TEST_F(CliTest, ValidateMissingInput) {
    nlohmann::json wf = demo();
    wf["3"]["inputs"].erase("images");
    const auto r = weft({"validate", workflow("missing.json", wf)});
    EXPECT_EQ(r.exit_code, 2);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    expect_error_shape(j["error"]);
    EXPECT_EQ(j["error"]["type"], "prompt_outputs_failed_validation");
    const nlohmann::json& node = j["node_errors"]["3"];
    EXPECT_EQ(node["class_type"], "SaveImage");
    ASSERT_FALSE(node["errors"].empty());
    expect_error_shape(node["errors"][0]);
    EXPECT_EQ(node["errors"][0]["type"], "required_input_missing");
    EXPECT_EQ(node["errors"][0]["extra_info"]["input_name"], "images");
    EXPECT_TRUE(node["dependent_outputs"].is_array());
}

TEST_F(CliTest, ValidateValueOutOfRange) {
    nlohmann::json wf = demo();
    wf["1"]["inputs"]["height"] = 100000;
    const auto r = weft({"validate", workflow("range.json", wf)});
    EXPECT_EQ(r.exit_code, 2);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    const nlohmann::json& e = j["node_errors"]["1"]["errors"][0];
    expect_error_shape(e);
    EXPECT_EQ(e["type"], "value_bigger_than_max");
    EXPECT_EQ(e["extra_info"]["input_name"], "height");
    // Every output that needs node 1 is listed as dependent.
    const auto deps = j["node_errors"]["1"]["dependent_outputs"].get<std::vector<std::string>>();
    EXPECT_EQ(weft::testing::sorted(deps), (std::vector<std::string>{"3", "8"}));
}

TEST_F(CliTest, ValidateBadJsonText) {
    weft::testing::write_text_file(dir / "broken.json", "{\"1\": {\"class_type\": \"EmptyImage\", ");
    const auto r = weft({"validate", (dir / "broken.json").string()});
    EXPECT_EQ(r.exit_code, 2);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    expect_error_shape(j["error"]);
    EXPECT_EQ(j["error"]["type"], "invalid_prompt");
}

TEST_F(CliTest, ValidateWithSetAndMissingFile) {
    EXPECT_EQ(weft({"validate", demo_workflow().string(), "--set", "1.width=0"}).exit_code, 2);
    EXPECT_EQ(weft({"validate", demo_workflow().string(), "--set", "1.width=8"}).exit_code, 0);
    const auto r = weft({"validate", "nowhere.json"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("nowhere.json"), std::string::npos);
}
