// Execution blockers (checklist 22): a Blocker output blocks each downstream call that receives it
// (per list element); silent without a message, reported with one; the run goes on.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

class Blockers : public CacheModeTest {};

// white -> blocker(block, verbose) -> save.
Workflow single(bool block, bool verbose) {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    wf.add("2", "TestExecutionBlocker").link("input", "1").set("block", block).set("verbose", verbose);
    build::save_image(wf, "3", "2");
    build::stub_image(wf, "4", "BLACK");  // an independent branch
    build::save_image(wf, "5", "4");
    return wf;
}

TEST_P(Blockers, NotBlockingPassesTheValue) {
    RunResult r = h.run(single(false, false));
    ASSERT_EQ(r.status, RunStatus::Success);
    ASSERT_EQ(saved_images(r, "3").size(), 1u);
    EXPECT_DOUBLE_EQ(mean(saved_images(r, "3")[0]), 1.0);
}

TEST_P(Blockers, SilentBlockSkipsTheConsumerQuietly) {
    RunResult r = h.run(single(true, false));
    EXPECT_EQ(r.status, RunStatus::Success) << run_status_name(r.status);
    EXPECT_FALSE(run_log().ran("3")) << "a blocked output node does not run";
    EXPECT_TRUE(saved_images(r, "3").empty());
    EXPECT_EQ(saved_images(r, "5").size(), 1u) << "independent branches are unaffected";
    EXPECT_EQ(h.events.count(EventType::ExecutionBlocked), 0u);
    EXPECT_EQ(h.events.count(EventType::ExecutionError), 0u);
    EXPECT_TRUE(h.events.seen(EventType::ExecutionSuccess));
}

TEST_P(Blockers, BlockWithMessageIsReportedAndTheRunContinues) {
    RunResult r = h.run(single(true, true));
    EXPECT_EQ(r.status, RunStatus::Success) << run_status_name(r.status);
    EXPECT_FALSE(run_log().ran("3"));
    EXPECT_EQ(saved_images(r, "5").size(), 1u);
    auto ev = h.events.first(EventType::ExecutionBlocked);
    ASSERT_TRUE(ev.has_value()) << "a blocker with a message is reported";
    EXPECT_EQ(ev->node_id, "3");
    EXPECT_NE(ev->message.find("Blocked by TestExecutionBlocker"), std::string::npos) << ev->message;
    EXPECT_TRUE(h.events.seen(EventType::ExecutionSuccess));
}

TEST_P(Blockers, BlockerPropagatesThroughIntermediateNodes) {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    wf.add("2", "TestExecutionBlocker").link("input", "1").set("block", true).set("verbose", false);
    wf.add("3", "TestVariadicAverage").link("input1", "2");
    build::save_image(wf, "4", "3");
    RunResult r = h.run(wf);
    EXPECT_EQ(r.status, RunStatus::Success);
    EXPECT_FALSE(run_log().ran("3"));
    EXPECT_FALSE(run_log().ran("4"));
}

TEST_P(Blockers, BlocksOnlyTheListElementThatCarriesIt) {
    // ComfyUI's test_execution_block_list_output: element 2 of 3 blocked -> 2 images.
    Workflow wf;
    build::const_image(wf, "i1", 0.1);
    build::const_image(wf, "i2", 0.2);
    build::const_image(wf, "i3", 0.3);
    wf.add("images", "TestMakeListNode").link("value1", "i1").link("value2", "i2").link("value3", "i3");
    build::stub_int(wf, "n1", 1);
    build::stub_int(wf, "n2", 2);
    build::stub_int(wf, "n3", 3);
    wf.add("ints", "TestMakeListNode").link("value1", "n1").link("value2", "n2").link("value3", "n3");
    wf.add("cmp", "TestIntConditions").link("a", "ints").set("b", 2).set("operation", "==");
    wf.add("blocker", "TestExecutionBlocker").link("input", "images").link("block", "cmp").set("verbose", false);
    wf.add("relist", "TestMakeListNode").link("value1", "blocker");
    build::save_image(wf, "out", "relist");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    auto imgs = saved_images(r, "out");
    ASSERT_EQ(imgs.size(), 2u);
    EXPECT_NEAR(mean(imgs[0]), 0.1, 1e-6);
    EXPECT_NEAR(mean(imgs[1]), 0.3, 1e-6);
    EXPECT_EQ(run_log().count("relist"), 2u) << "the blocked element's call is skipped: " << describe_calls();
    EXPECT_EQ(run_log().count("out"), 2u);
}

WEFT_INSTANTIATE_CACHE_MODES(Blockers);

}  // namespace
