// Node failures (checklist 31-32): the ExecutionError report, fail-fast, recovery on the next run
// with outputs cached before the failure, and continue_independent.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

class Errors : public CacheModeTest {};

// "1" white -> "2" average -> "3" fail_if -> "4" capture.
Workflow failing_chain(bool fail, const std::string& kind = "weft") {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    wf.add("2", "TestVariadicAverage").link("input1", "1");
    build::fail_if(wf, "3", fail, "boom 123").link("value", "2").set("kind", kind);
    build::capture(wf, "4", "3");
    return wf;
}

TEST_P(Errors, NodeExceptionIsReportedWithContext) {
    for (const char* kind : {"weft", "std"}) {
        SCOPED_TRACE(kind);
        Harness fresh(GetParam());
        RunResult r = fresh.run(failing_chain(true, kind));
        EXPECT_EQ(r.status, RunStatus::Error) << run_status_name(r.status);
        ASSERT_TRUE(r.error.has_value());
        const ExecutionError& e = *r.error;
        EXPECT_EQ(e.node_id, "3");
        EXPECT_EQ(e.node_type, "TestFailIf");
        EXPECT_NE(e.exception_message.find("boom 123"), std::string::npos) << e.exception_message;
        EXPECT_FALSE(e.exception_type.empty());
        EXPECT_TRUE(e.current_inputs.count("fail")) << "current_inputs lists the node's inputs";
        EXPECT_TRUE(e.current_inputs.count("message"));
        EXPECT_TRUE(contains(e.executed, "1")) << "executed lists the nodes run before the failure";
        EXPECT_TRUE(contains(e.executed, "2"));
        EXPECT_FALSE(contains(e.executed, "3"));
        EXPECT_FALSE(run_log().ran("4"));

        auto ev = fresh.events.first(EventType::ExecutionError);
        ASSERT_TRUE(ev.has_value());
        EXPECT_EQ(ev->prompt_id, r.prompt_id);
        EXPECT_EQ(ev->error.node_id, "3");
        EXPECT_EQ(ev->error.node_type, "TestFailIf");
        EXPECT_NE(ev->error.exception_message.find("boom 123"), std::string::npos);
        EXPECT_FALSE(fresh.events.seen(EventType::ExecutionSuccess));
        EXPECT_EQ(fresh.events.count(EventType::NodeError), 0u) << "fail_fast reports execution_error, not node errors";
    }
}

TEST_P(Errors, NextRunWorksAndReusesOutputsCachedBeforeTheFailure) {
    ASSERT_EQ(h.run(failing_chain(true)).status, RunStatus::Error);
    run_log().reset();
    RunResult r = h.run(failing_chain(false));
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    if (caches()) EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"3", "4"})) << describe_calls();
    else EXPECT_EQ(run_log().ran_ids().size(), 4u);
    List vals = ui_list(r, "4", "values");
    ASSERT_EQ(vals.size(), 1u);
    EXPECT_DOUBLE_EQ(mean(vals[0].as_dict().at("value").as_tensor()), 1.0);
}

TEST_P(Errors, AFailedNodeIsNotCached) {
    ASSERT_EQ(h.run(failing_chain(true)).status, RunStatus::Error);
    run_log().reset();
    RunResult r = h.run(failing_chain(true));
    EXPECT_EQ(r.status, RunStatus::Error);
    EXPECT_EQ(run_log().count("3"), 1u) << "the failing node runs (and fails) again";
    if (caches()) {
        EXPECT_FALSE(run_log().ran("1"));
    }
}

// A failing branch f -> x -> xo, a slow independent branch s -> b -> bo, a quick one q -> qo.
Workflow two_branches() {
    Workflow wf;
    build::fail_if(wf, "f", true, "branch failure");
    build::fail_if(wf, "x", false).link("value", "f");
    build::capture(wf, "xo", "x");
    build::sleep(wf, "s", 0.3);
    wf.add("b", "TestToBoolNode").link("value", "s");
    build::capture(wf, "bo", "b");
    return wf;
}

TEST_P(Errors, FailFastRunsNothingAfterTheFailure) {
    // Whatever the schedule, no node may start once "f" has failed, and nothing that needs "f" runs.
    // (With the branches in parallel, "f" fails while "s" sleeps, so "b" and "bo" never run.)
    RunResult r = h.run(two_branches());
    EXPECT_EQ(r.status, RunStatus::Error);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->node_id, "f");
    double failed_at = -1;
    for (const NodeCall& c : run_log().calls())
        if (c.node_id == "f") failed_at = c.end_ms;
    ASSERT_GE(failed_at, 0);
    for (const NodeCall& c : run_log().calls())
        EXPECT_LT(c.start_ms, failed_at + 50) << c.node_id << " started after the failure: " << describe_calls();
    EXPECT_FALSE(run_log().ran("x"));
    EXPECT_FALSE(run_log().ran("xo"));
    EXPECT_FALSE(h.events.seen(EventType::ExecutionSuccess));
}

TEST_P(Errors, ExplicitFailFastMatchesDefault) {
    RunOptions o;
    o.failure_policy = FailurePolicy::FailFast;
    RunResult r = h.run(two_branches(), o);
    EXPECT_EQ(r.status, RunStatus::Error);
    EXPECT_FALSE(run_log().ran("x"));
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->node_id, "f");
}

TEST_P(Errors, ContinueIndependentFinishesOtherBranches) {
    RunOptions o;
    o.failure_policy = FailurePolicy::ContinueIndependent;
    RunResult r = h.run(two_branches(), o);
    EXPECT_EQ(r.status, RunStatus::Partial) << run_status_name(r.status);
    EXPECT_TRUE(run_log().ran("bo")) << "the independent branch finishes";
    EXPECT_EQ(ui_list(r, "bo", "values").size(), 1u);
    EXPECT_FALSE(run_log().ran("x"));
    EXPECT_FALSE(run_log().ran("xo"));
    ASSERT_EQ(r.node_errors.size(), 1u);
    EXPECT_EQ(r.node_errors[0].node_id, "f");
    EXPECT_NE(r.node_errors[0].exception_message.find("branch failure"), std::string::npos);
    EXPECT_TRUE(contains(r.blocked, "x"));
    EXPECT_TRUE(contains(r.blocked, "xo"));
    EXPECT_FALSE(contains(r.blocked, "bo"));

    EXPECT_EQ(h.events.count(EventType::NodeError), 1u);
    EXPECT_EQ(h.events.count(EventType::ExecutionError), 0u);
    auto done = h.events.first(EventType::ExecutionSuccess);
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->status, "partial_success");
    // execution_start, execution_cached, ..., node error, ..., execution_success.
    auto types = h.events.types();
    ASSERT_GE(types.size(), 3u);
    EXPECT_EQ(types.front(), EventType::ExecutionStart);
    EXPECT_EQ(types[1], EventType::ExecutionCached);
    EXPECT_EQ(types.back(), EventType::ExecutionSuccess);
}

TEST_P(Errors, ContinueIndependentRetriesFailedNodesNextRun) {
    RunOptions o;
    o.failure_policy = FailurePolicy::ContinueIndependent;
    ASSERT_EQ(h.run(two_branches(), o).status, RunStatus::Partial);
    run_log().reset();
    RunResult r = h.run(two_branches(), o);
    EXPECT_EQ(r.status, RunStatus::Partial);
    EXPECT_EQ(run_log().count("f"), 1u);
    if (caches()) {
        EXPECT_FALSE(run_log().ran("s")) << "the successful branch is cached";
    }
}

TEST_P(Errors, ContinueIndependentWithEveryOutputFailedIsAnError) {
    Workflow wf;
    build::fail_if(wf, "f", true, "only branch");
    build::capture(wf, "fo", "f");
    RunOptions o;
    o.failure_policy = FailurePolicy::ContinueIndependent;
    RunResult r = h.run(wf, o);
    EXPECT_EQ(r.status, RunStatus::Error) << run_status_name(r.status);
    EXPECT_TRUE(h.events.seen(EventType::ExecutionError));
    EXPECT_FALSE(h.events.seen(EventType::ExecutionSuccess));
}

WEFT_INSTANTIATE_CACHE_MODES(Errors);

}  // namespace
