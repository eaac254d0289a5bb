// Hidden inputs (checklist 24): PROMPT (the workflow's API JSON), EXTRA_PNGINFO, UNIQUE_ID (compound
// inside expansions) and DYNPROMPT (find_node over original and expanded nodes).
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

RunOptions capturing(std::vector<std::string> ids) {
    RunOptions o;
    o.capture = std::move(ids);
    return o;
}

TEST(Hidden, PromptExtraPngInfoAndUniqueId) {
    Harness h;
    Workflow wf;
    wf.add("7", "TestHiddenProbe").set("tag", "x");
    build::capture(wf, "8", "7");
    RunOptions o = capturing({"7"});
    o.extra_pnginfo = {{"workflow", R"({"nodes": []})"}};
    RunResult r = h.run(wf, o);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(r.output("7", 0).as_string(), "7");
    EXPECT_EQ(r.output("7", 1).as_string(), "7");
    const std::string prompt = r.output("7", 2).as_string();
    Value parsed = value_from_json(prompt);
    ASSERT_TRUE(parsed.is_dict()) << prompt;
    ASSERT_TRUE(parsed.as_dict().count("7")) << prompt;
    EXPECT_EQ(parsed.as_dict().at("7").as_dict().at("class_type").as_string(), "TestHiddenProbe");
    EXPECT_TRUE(parsed.as_dict().count("8"));
    EXPECT_EQ(r.output("7", 3).as_string(), R"({"nodes": []})");
    EXPECT_EQ(r.output("7", 4).as_string(), "TestHiddenProbe") << "find_node finds the node itself";
}

TEST(Hidden, WithoutExtraPngInfo) {
    Harness h;
    Workflow wf;
    wf.add("1", "TestHiddenProbe").set("tag", "x");
    build::capture(wf, "2", "1");
    RunResult r = h.run(wf, capturing({"1"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(r.output("1", 3).as_string(), "<absent>");
}

TEST(Hidden, ExpandedNodesSeeCompoundIdsAndTheirParentsDisplayId) {
    Harness h;
    Workflow wf;
    wf.add("5", "TestExpandToProbe").set("tag", "y");
    build::capture(wf, "6", "5");
    RunResult r = h.run(wf, capturing({"5"}));
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(r.output("5", 0).as_string(), "5.0.probe");
    EXPECT_EQ(r.output("5", 1).as_string(), "5");
    EXPECT_EQ(r.output("5", 4).as_string(), "TestHiddenProbe") << "find_node sees expanded nodes";
    Value parsed = value_from_json(r.output("5", 2).as_string());
    ASSERT_TRUE(parsed.is_dict());
    EXPECT_TRUE(parsed.as_dict().count("5")) << "PROMPT is the original workflow";
}

TEST(Hidden, FindNodeLooksUpOtherNodes) {
    Harness h;
    Workflow wf;
    build::stub_int(wf, "1", 3);
    wf.add("2", "TestFindNode").set("target", "1");
    wf.add("3", "TestFindNode").set("target", "does-not-exist");
    build::capture(wf, "4", "2");
    build::capture(wf, "5", "3");
    build::capture(wf, "6", "1");
    RunResult r = h.run(wf, capturing({"2", "3"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(r.output("2").as_string(), "StubInt");
    EXPECT_EQ(r.output("3").as_string(), "<none>");
}

}  // namespace
