// `weft run`: the demo workflow, --json, several workflows in one session, --set, --target,
// failures and exit codes.
#include "cli_test_util.h"

#include <filesystem>

namespace fs = std::filesystem;
using weft::testing::CliTest;
using weft::testing::sorted;

TEST_F(CliTest, RunsTheDemoAndSavesTheImage) {
    const auto r = weft({"run", demo_workflow().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir / "output" / "weft_demo_00001_.png")) << r.out;
    EXPECT_NE(r.out.find("success"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Hello, from weft"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find((dir.path() / "output" / "weft_demo_00001_.png").string()), std::string::npos) << r.out;
}

TEST_F(CliTest, JsonReportsTheRun) {
    const auto r = weft({"run", demo_workflow().string(), "--json", "--output-dir", "saved"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    const nlohmann::json& j = lines[0];
    EXPECT_EQ(j["status"], "success");
    EXPECT_FALSE(j["prompt_id"].get<std::string>().empty());
    EXPECT_EQ(j["workflow"], demo_workflow().string());
    EXPECT_EQ(sorted(j["executed"].get<std::vector<std::string>>()),
              (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8"}));
    EXPECT_TRUE(j["cached"].empty());
    EXPECT_TRUE(j["errors"]["validation"].is_null());
    EXPECT_TRUE(j["errors"]["execution"].is_null());

    const nlohmann::json& image = j["outputs"]["3"]["images"][0];
    EXPECT_EQ(image["filename"], "weft_demo_00001_.png");
    EXPECT_EQ(image["subfolder"], "");
    EXPECT_EQ(image["type"], "output");
    const fs::path path = image["path"].get<std::string>();
    EXPECT_TRUE(path.is_absolute());
    EXPECT_TRUE(fs::exists(path));
    EXPECT_TRUE(fs::equivalent(path, dir / "saved" / "weft_demo_00001_.png"));
    EXPECT_EQ(j["outputs"]["6"]["text"][0], "Hello, from weft");
    EXPECT_EQ(j["outputs"]["8"]["text"][0], "256");

    ASSERT_TRUE(j["node_seconds"].is_object());
    EXPECT_TRUE(j["node_seconds"].contains("3"));
    EXPECT_GE(j["total_seconds"].get<double>(), 0.0);
}

TEST_F(CliTest, SecondWorkflowInTheSameRunIsFullyCached) {
    const auto r = weft({"run", demo_workflow().string(), demo_workflow().string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0]["executed"].size(), 8u);
    EXPECT_TRUE(lines[1]["executed"].empty()) << lines[1].dump();
    EXPECT_EQ(sorted(lines[1]["cached"].get<std::vector<std::string>>()),
              (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8"}));
    EXPECT_EQ(lines[1]["status"], "success");
    // A cached SaveImage reports its earlier file and writes no new one.
    EXPECT_EQ(lines[1]["outputs"]["3"]["images"][0]["filename"], "weft_demo_00001_.png");
    EXPECT_FALSE(fs::exists(dir / "output" / "weft_demo_00002_.png"));
}

TEST_F(CliTest, SetReRunsOnlyTheDependentNodes) {
    // The --set follows the second file, so it applies to the second run only.
    const auto r = weft({"run", demo_workflow().string(), demo_workflow().string(), "--set", "5.delimiter= & ", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0]["outputs"]["6"]["text"][0], "Hello, from weft");
    EXPECT_EQ(lines[1]["outputs"]["6"]["text"][0], "Hello & from weft");
    EXPECT_EQ(sorted(lines[1]["executed"].get<std::vector<std::string>>()), (std::vector<std::string>{"5", "6"}));
    EXPECT_EQ(sorted(lines[1]["cached"].get<std::vector<std::string>>()),
              (std::vector<std::string>{"1", "2", "3", "4", "7", "8"}));
}

TEST_F(CliTest, SetParsesJsonValuesAndAppliesToAllWhenFirst) {
    const auto r = weft({"run", "--set", "1.width=64", "--set", "4.value=\"12\"", demo_workflow().string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["outputs"]["8"]["text"][0], "64");         // INT from JSON
    EXPECT_EQ(lines[0]["outputs"]["6"]["text"][0], "12, from weft");  // a JSON string stays a string
}

TEST_F(CliTest, SetErrorsAreUsageErrors) {
    EXPECT_EQ(weft({"run", demo_workflow().string(), "--set", "99.value=1"}).exit_code, 2);
    EXPECT_EQ(weft({"run", demo_workflow().string(), "--set", "novalue"}).exit_code, 2);
    EXPECT_FALSE(fs::exists(dir / "output"));
}

TEST_F(CliTest, TargetRunsOnlyThatOutput) {
    const auto r = weft({"run", demo_workflow().string(), "--target", "6", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json_lines(r.out).at(0);
    EXPECT_EQ(sorted(j["executed"].get<std::vector<std::string>>()), (std::vector<std::string>{"4", "5", "6"}));
    EXPECT_FALSE(fs::exists(dir / "output" / "weft_demo_00001_.png"));
}

TEST_F(CliTest, NodeFailureExitsOneAndReportsTheError) {
    nlohmann::json wf = demo();
    wf["3"]["inputs"]["filename_prefix"] = "../outside";
    const auto path = workflow("escape.json", wf);
    const auto r = weft({"run", path, "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto j = json_lines(r.out).at(0);
    EXPECT_EQ(j["status"], "error");
    ASSERT_TRUE(j["errors"]["execution"].is_object()) << j.dump();
    EXPECT_EQ(j["errors"]["execution"]["node_id"], "3");
    EXPECT_NE(j["errors"]["execution"]["exception_message"].get<std::string>().find("outside"), std::string::npos);
    EXPECT_NE(r.err.find("node 3"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "outside_00001_.png"));
}

TEST_F(CliTest, ContinueOnErrorRunsTheIndependentOutputs) {
    nlohmann::json wf = demo();
    wf["3"]["inputs"]["filename_prefix"] = "../outside";
    const auto path = workflow("escape.json", wf);
    const auto r = weft({"run", path, demo_workflow().string(), "--continue-on-error", "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    EXPECT_EQ(lines[0]["status"], "partial_success") << lines[0].dump();
    EXPECT_EQ(lines[0]["outputs"]["6"]["text"][0], "Hello, from weft");
    EXPECT_EQ(lines[1]["status"], "success");
}

TEST_F(CliTest, InvalidWorkflowExitsTwoWithComfyUIErrors) {
    nlohmann::json wf = demo();
    wf["1"]["inputs"]["width"] = 0;
    wf["4"]["class_type"] = "NoSuchNode";
    const auto r = weft({"run", workflow("bad.json", wf), "--json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    const auto j = json_lines(r.out).at(0);
    EXPECT_EQ(j["status"], "invalid");
    EXPECT_TRUE(j["executed"].empty());
    EXPECT_TRUE(j["errors"]["validation"]["error"].is_object()) << j.dump();
    EXPECT_FALSE(fs::exists(dir / "output"));
}

TEST_F(CliTest, PartlyInvalidWorkflowRunsTheValidOutputsAndExitsTwo) {
    // As in ComfyUI, outputs that validate still run; the others are reported.
    nlohmann::json wf = demo();
    wf["1"]["inputs"]["width"] = 0;
    const auto r = weft({"run", workflow("bad.json", wf), "--json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    const auto j = json_lines(r.out).at(0);
    EXPECT_EQ(j["errors"]["validation"]["node_errors"]["1"]["errors"][0]["type"], "value_smaller_than_min");
    EXPECT_EQ(j["outputs"]["6"]["text"][0], "Hello, from weft");
    EXPECT_FALSE(j["outputs"].contains("3"));
    EXPECT_FALSE(fs::exists(dir / "output" / "weft_demo_00001_.png"));
    EXPECT_NE(r.err.find("smaller than min"), std::string::npos) << r.err;
}

TEST_F(CliTest, FileErrorsExitThree) {
    const auto r = weft({"run", "no-such-workflow.json"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("no-such-workflow.json"), std::string::npos) << r.err;
    // The first workflow ran; the missing second one stops the sequence with 3.
    const auto r2 = weft({"run", demo_workflow().string(), "missing.json"});
    EXPECT_EQ(r2.exit_code, 3);
    EXPECT_TRUE(fs::exists(dir / "output" / "weft_demo_00001_.png"));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
    EXPECT_EQ(weft({}).exit_code, 2);
    EXPECT_EQ(weft({"run"}).exit_code, 2);
    EXPECT_EQ(weft({"frobnicate"}).exit_code, 2);
    EXPECT_EQ(weft({"run", demo_workflow().string(), "--cache", "sometimes"}).exit_code, 2);
    EXPECT_EQ(weft({"--help"}).exit_code, 0);
}

TEST_F(CliTest, CacheNoneRunsEverythingAgain) {
    const auto r = weft({"run", demo_workflow().string(), demo_workflow().string(), "--cache", "none", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1]["executed"].size(), 8u);
    EXPECT_TRUE(fs::exists(dir / "output" / "weft_demo_00002_.png"));
}
