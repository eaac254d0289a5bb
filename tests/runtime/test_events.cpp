// Events (checklist 17, 35-36): execution_start, execution_cached, per node executing / progress /
// executed, execution_success; cached output nodes re-send their UI without executing; every node
// starts after the nodes it reads from.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

// "1" white -> "2" sleep (progress) -> "3" average -> "4" save.
Workflow chain() {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::sleep(wf, "2", 0.03).link("value", "1");
    wf.add("3", "TestVariadicAverage").link("input1", "2");
    build::save_image(wf, "4", "3");
    return wf;
}

TEST(Events, NamesAreComfyUIs) {
    EXPECT_STREQ(event_name(EventType::ExecutionStart), "execution_start");
    EXPECT_STREQ(event_name(EventType::ExecutionCached), "execution_cached");
    EXPECT_STREQ(event_name(EventType::Executing), "executing");
    EXPECT_STREQ(event_name(EventType::Progress), "progress");
    EXPECT_STREQ(event_name(EventType::Executed), "executed");
    EXPECT_STREQ(event_name(EventType::ExecutionError), "execution_error");
    EXPECT_STREQ(event_name(EventType::ExecutionInterrupted), "execution_interrupted");
    EXPECT_STREQ(event_name(EventType::ExecutionSuccess), "execution_success");
}

TEST(Events, OrderOfAFirstRun) {
    Harness h;
    RunOptions o;
    o.prompt_id = "my-prompt-1";
    RunResult r = h.run(chain(), o);
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(r.prompt_id, "my-prompt-1") << "a given prompt id is honoured";
    std::vector<Event> ev = h.events.events();
    ASSERT_GE(ev.size(), 4u);
    EXPECT_EQ(ev.front().type, EventType::ExecutionStart);
    EXPECT_GT(ev.front().timestamp, 1.6e12) << "milliseconds since the epoch";
    EXPECT_EQ(ev[1].type, EventType::ExecutionCached);
    EXPECT_TRUE(ev[1].nodes.empty());
    EXPECT_EQ(ev.back().type, EventType::ExecutionSuccess);
    EXPECT_EQ(ev.back().status, "success");
    EXPECT_EQ(h.events.count(EventType::ExecutionStart), 1u);
    EXPECT_EQ(h.events.count(EventType::ExecutionSuccess), 1u);
    for (const Event& e : ev) EXPECT_EQ(e.prompt_id, "my-prompt-1") << event_name(e.type);

    // Each node: executing, then (for the sleep) progress, then the next node.
    long e1 = h.events.index_of(EventType::Executing, "1"), e2 = h.events.index_of(EventType::Executing, "2"),
         e3 = h.events.index_of(EventType::Executing, "3"), e4 = h.events.index_of(EventType::Executing, "4");
    ASSERT_TRUE(e1 > 1 && e2 > e1 && e3 > e2 && e4 > e3) << e1 << " " << e2 << " " << e3 << " " << e4;
    long p2 = h.events.index_of(EventType::Progress, "2");
    EXPECT_TRUE(p2 > e2 && p2 < e3) << "progress of node 2 comes between its executing and the next node's";
    EXPECT_GE(h.events.count(EventType::Progress, "2"), 2u);
    auto prog = h.events.first(EventType::Progress, "2");
    EXPECT_NEAR(prog->max, 0.03, 1e-9);

    long x4 = h.events.index_of(EventType::Executed, "4");
    ASSERT_GT(x4, e4);
    auto executed = h.events.first(EventType::Executed, "4");
    EXPECT_TRUE(executed->has_output);
    ASSERT_TRUE(executed->output.count("images"));
    EXPECT_EQ(executed->output.at("images").as_list().size(), 1u);

    auto ex2 = h.events.first(EventType::Executing, "2");
    EXPECT_EQ(ex2->node_type, "TestSleep");
    EXPECT_EQ(ex2->display_node_id, "2");
}

TEST(Events, CachedOutputNodeSendsExecutedWithoutExecuting) {
    Harness h;
    ASSERT_EQ(h.run(chain()).status, RunStatus::Success);
    RunResult r = h.run(chain());
    ASSERT_EQ(r.status, RunStatus::Success);
    std::vector<EventType> types = h.events.types();
    EXPECT_EQ(types, (std::vector<EventType>{EventType::ExecutionStart, EventType::ExecutionCached, EventType::Executed,
                                             EventType::ExecutionSuccess}));
    auto cached = h.events.first(EventType::ExecutionCached);
    ASSERT_TRUE(cached.has_value());
    EXPECT_EQ(as_set(cached->nodes), (std::set<std::string>{"1", "2", "3", "4"}));
    auto executed = h.events.first(EventType::Executed, "4");
    ASSERT_TRUE(executed.has_value());
    EXPECT_TRUE(executed->has_output);
    ASSERT_TRUE(executed->output.count("images"));
    ASSERT_EQ(executed->output.at("images").as_list().size(), 1u);
    EXPECT_DOUBLE_EQ(mean(executed->output.at("images").as_list()[0].as_tensor()), 1.0);
    EXPECT_EQ(saved_images(r, "4").size(), 1u) << "the result still carries the cached UI";
}

TEST(Events, PromptIdsAreGeneratedAndDistinct) {
    Harness h;
    RunResult a = h.run(chain());
    RunResult b = h.run(chain());
    EXPECT_FALSE(a.prompt_id.empty());
    EXPECT_FALSE(b.prompt_id.empty());
    EXPECT_NE(a.prompt_id, b.prompt_id);
    for (const Event& e : h.events.events()) EXPECT_EQ(e.prompt_id, b.prompt_id);
}

TEST(Events, InvalidWorkflowRunsNoEventsOfNodes) {
    Harness h;
    Workflow wf;
    build::stub_int(wf, "1", 1);
    build::save_image(wf, "2", "1");  // type mismatch
    RunResult r = h.run(wf);
    EXPECT_EQ(r.status, RunStatus::Invalid);
    EXPECT_EQ(h.events.count(EventType::Executing), 0u);
    EXPECT_EQ(h.events.count(EventType::ExecutionSuccess), 0u);
}

TEST(Events, EveryNodeStartsAfterItsInputsFinished) {
    // A diamond plus a chain, checked on the nodes' own clocks.
    Harness h;
    Workflow wf;
    build::stub_image(wf, "a", "WHITE");
    build::sleep(wf, "b", 0.02).link("value", "a");
    build::sleep(wf, "c", 0.04).link("value", "a");
    wf.add("d", "TestVariadicAverage").link("input1", "b").link("input2", "c");
    wf.add("e", "TestVariadicAverage").link("input1", "d");
    build::save_image(wf, "f", "e");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    std::map<std::string, NodeCall> calls;
    for (const NodeCall& c : run_log().calls()) calls[c.node_id] = c;
    ASSERT_EQ(calls.size(), 6u);
    for (const WorkflowNode& n : wf.nodes())
        for (const auto& [name, v] : n.inputs)
            if (v.is_link()) {
                const std::string& from = v.as_link().node_id;
                EXPECT_GE(calls[n.id].start_ms, calls[from].end_ms) << n.id << " started before " << from << " finished";
            }
    // RunResult::executed is in completion order.
    ASSERT_EQ(r.executed.size(), 6u);
    auto pos = [&](const std::string& id) { return std::find(r.executed.begin(), r.executed.end(), id) - r.executed.begin(); };
    EXPECT_LT(pos("a"), pos("b"));
    EXPECT_LT(pos("c"), pos("d"));
    EXPECT_LT(pos("e"), pos("f"));
    EXPECT_GT(r.total_seconds, 0.0);
    EXPECT_TRUE(r.node_seconds.count("c"));
    EXPECT_GE(r.node_seconds["c"], 0.035);
    EXPECT_NEAR(mean(saved_images(r, "f").at(0)), 1.0, 1e-6);
}

TEST(Events, CapturedOutputs) {
    Harness h;
    Workflow wf;
    build::stub_int(wf, "1", 5);
    build::int_math(wf, "2", "add").link("a", "1").set("b", 2);
    build::capture(wf, "3", "2");
    RunOptions o;
    o.capture = {"2"};
    RunResult r = h.run(wf, o);
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(r.output("2").as_int(), 7);
    EXPECT_FALSE(r.outputs.count("1")) << "only output nodes and captured nodes are kept";
    EXPECT_THROW(r.output("1"), Error);
    RunOptions all;
    all.capture = {"*"};
    RunResult r2 = h.run(wf, all);
    EXPECT_EQ(r2.output("1").as_int(), 5);
    EXPECT_EQ(r2.output("2").as_int(), 7);
}

}  // namespace
