// Node expansion (checklist 16, 19): subgraphs returned by a node run with compound ids and the
// expanding node's display id; results resolve into the parent's outputs; nested expansions; loops
// by recursive expansion (raw links, DYNPROMPT, UNIQUE_ID); a runtime cycle is blamed on the
// expanding node.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

class Expansion : public CacheModeTest {};

TEST_P(Expansion, ResultLinksResolveIntoParentOutputs) {
    Workflow wf;
    wf.add("e", "TestExpandConstant").set("value", 0.3);
    build::save_image(wf, "s", "e");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    ASSERT_EQ(saved_images(r, "s").size(), 1u);
    EXPECT_NEAR(mean(saved_images(r, "s")[0]), 0.3, 1e-6);
    EXPECT_EQ(run_log().count("e.0.const"), 1u) << "ids are prefixed <node>.<call index>.: " << describe_calls();
    EXPECT_EQ(run_log().count("e"), 1u) << "the parent runs once; collecting results is not a new call";
}

TEST_P(Expansion, EphemeralNodeEventsCarryParentAndDisplayIds) {
    Workflow wf;
    wf.add("e", "TestExpandConstant").set("value", 0.3);
    build::save_image(wf, "s", "e");
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    auto ev = h.events.first(EventType::Executing, "e.0.const");
    ASSERT_TRUE(ev.has_value()) << "no executing event for the ephemeral node";
    EXPECT_EQ(ev->display_node_id, "e");
    EXPECT_EQ(ev->parent_node_id, "e");
    EXPECT_EQ(ev->real_node_id, "e");
    EXPECT_EQ(ev->node_type, "StubConstantImage");
}

TEST_P(Expansion, SecondRunOfAnExpansionIsCached) {
    Workflow wf;
    wf.add("e", "TestExpandConstant").set("value", 0.3);
    build::save_image(wf, "s", "e");
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    run_log().reset();
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    if (caches()) {
        EXPECT_EQ(run_log().total(), 0u) << describe_calls();
    }
    EXPECT_NEAR(mean(saved_images(r, "s").at(0)), 0.3, 1e-6);
}

TEST_P(Expansion, NestedExpansions) {
    Workflow wf;
    wf.add("n", "TestExpandNested").set("value", 0.7).set("depth", 3);
    build::save_image(wf, "s", "n");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_NEAR(mean(saved_images(r, "s").at(0)), 0.7, 1e-6);
    EXPECT_EQ(run_log().count_class("TestExpandNested"), 4u) << describe_calls();
    const std::string deepest = "n.0.inner.0.inner.0.inner";
    EXPECT_EQ(run_log().count(deepest), 1u) << describe_calls();
    auto ev = h.events.first(EventType::Executing, deepest);
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->display_node_id, "n");
    EXPECT_EQ(ev->real_node_id, "n");
    EXPECT_EQ(ev->parent_node_id, "n.0.inner.0.inner");
}

TEST_P(Expansion, ListMappedExpansionUsesTheCallIndexInIds) {
    Workflow wf;
    build::stub_float(wf, "f0", 0.3);
    build::stub_float(wf, "f1", 0.6);
    wf.add("l", "TestMakeListNode").link("value1", "f0").link("value2", "f1");
    wf.add("e", "TestExpandConstant").link("value", "l");
    build::save_image(wf, "s", "e");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(run_log().count("e.0.const"), 1u) << describe_calls();
    EXPECT_EQ(run_log().count("e.1.const"), 1u) << describe_calls();
    auto imgs = saved_images(r, "s");
    ASSERT_EQ(imgs.size(), 2u);
    EXPECT_NEAR(mean(imgs[0]), 0.3, 1e-6);
    EXPECT_NEAR(mean(imgs[1]), 0.6, 1e-6);
}

TEST_P(Expansion, MixedExpansionReturns) {
    // Per list element: a plain value, a value with UI, an expansion (ComfyUI's
    // test_mixed_expansion_returns).
    Workflow wf;
    build::stub_float(wf, "f0", 0.1);
    build::stub_float(wf, "f1", 0.2);
    build::stub_float(wf, "f2", 0.3);
    wf.add("l", "TestMakeListNode").link("value1", "f0").link("value2", "f1").link("value3", "f2");
    wf.add("m", "TestMixedExpansionReturns").link("input1", "l");
    build::save_image(wf, "s", "m");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    auto imgs = saved_images(r, "s");
    ASSERT_EQ(imgs.size(), 3u);
    EXPECT_NEAR(mean(imgs[0]), 0.1, 1e-6);
    EXPECT_NEAR(mean(imgs[1]), 0.2, 1e-6);
    EXPECT_NEAR(mean(imgs[2]), 0.3, 1e-6);
    EXPECT_EQ(run_log().count("m.2.const"), 1u) << describe_calls();
}

// ---- loops by recursive expansion --------------------------------------------------------------

// while (counter-- > 0) image = (image + black) / 2, starting from white: 1 / 2^iterations.
Workflow while_loop(int64_t iterations) {
    Workflow wf;
    build::stub_int(wf, "cnt", iterations);
    build::stub_image(wf, "white", "WHITE");
    build::stub_image(wf, "black", "BLACK");
    wf.add("open", "TestWhileLoopOpen").set("condition", true).link("initial_value0", "cnt").link("initial_value1", "white");
    build::int_math(wf, "sub", "subtract").link("a", "open", 1).set("b", 1);
    wf.add("cond", "TestToBoolNode").link("value", "sub");
    wf.add("avg", "TestVariadicAverage").link("input1", "open", 2).link("input2", "black");
    wf.add("close", "TestWhileLoopClose").link("flow_control", "open", 0).link("condition", "cond")
        .link("initial_value0", "sub").link("initial_value1", "avg");
    build::save_image(wf, "save", "close", 1);
    return wf;
}

TEST_P(Expansion, WhileLoopByRecursiveExpansion) {
    RunResult r = h.run(while_loop(3));
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_type + ": " + r.error->exception_message : "");
    ASSERT_EQ(saved_images(r, "save").size(), 1u);
    EXPECT_NEAR(mean(saved_images(r, "save")[0]), 1.0 / 8, 1e-6);
    EXPECT_EQ(run_log().count_class("TestVariadicAverage"), 3u) << describe_calls();
    EXPECT_EQ(run_log().count_class("TestWhileLoopClose"), 3u) << describe_calls();
}

// for (remaining = n; ...) image = (image + black) / 2, written with TestForLoopOpen/Close, whose
// close node expands into a TestWhileLoopClose (expansions nested in expansions).
Workflow for_loop(int64_t n) {
    Workflow wf;
    build::stub_image(wf, "white", "WHITE");
    build::stub_image(wf, "black", "BLACK");
    wf.add("open", "TestForLoopOpen").set("remaining", n).link("initial_value1", "white");
    wf.add("avg", "TestVariadicAverage").link("input1", "open", 2).link("input2", "black");
    wf.add("close", "TestForLoopClose").link("flow_control", "open", 0).link("initial_value1", "avg");
    build::save_image(wf, "save", "close", 0);
    return wf;
}

TEST_P(Expansion, ForLoopIterations) {
    for (int64_t n = 1; n <= 4; ++n) {
        SCOPED_TRACE("iterations " + std::to_string(n));
        run_log().reset();
        RunResult r = h.run(for_loop(n));
        ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_type + ": " + r.error->exception_message : "");
        ASSERT_EQ(saved_images(r, "save").size(), 1u);
        EXPECT_NEAR(mean(saved_images(r, "save")[0]), 1.0 / double(1 << n), 1e-6);
    }
}

TEST_P(Expansion, ForLoopRerunGivesTheSameResult) {
    ASSERT_EQ(h.run(for_loop(3)).status, RunStatus::Success);
    run_log().reset();
    RunResult r = h.run(for_loop(3));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_NEAR(mean(saved_images(r, "save").at(0)), 1.0 / 8, 1e-6);
    if (caches()) {
        EXPECT_EQ(run_log().total(), 0u) << describe_calls();
    }
}

TEST_P(Expansion, AccumulationAcrossLoopIterations) {
    Workflow wf;
    wf.add("open", "TestForLoopOpen").set("remaining", 3);
    wf.add("acc", "TestAccumulateNode").link("to_add", "open", 1).link("accumulation", "open", 2);
    wf.add("close", "TestForLoopClose").link("flow_control", "open", 0).link("initial_value1", "acc");
    wf.add("len", "TestAccumulationGetLengthNode").link("accumulation", "close", 0);
    wf.add("items", "TestAccumulationToListNode").link("accumulation", "close", 0);
    build::capture(wf, "o1", "len");
    build::capture(wf, "o2", "items");
    RunOptions o;
    o.capture = {"len", "items"};
    RunResult r = h.run(wf, o);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_type + ": " + r.error->exception_message : "");
    EXPECT_EQ(r.output("len").as_int(), 3);
    ASSERT_EQ(r.outputs.at("items").at(0).size(), 3u);
    EXPECT_EQ(r.output("items", 0, 0).as_int(), 3);
    EXPECT_EQ(r.output("items", 0, 1).as_int(), 2);
    EXPECT_EQ(r.output("items", 0, 2).as_int(), 1);
}

TEST_P(Expansion, RuntimeCycleIsBlamedOnTheExpandingNode) {
    Workflow wf;
    build::stub_image(wf, "white", "WHITE");
    wf.add("gen", "TestDynamicDependencyCycle").link("input1", "white");
    build::save_image(wf, "save", "gen");
    RunResult r = h.run(wf);
    EXPECT_EQ(r.status, RunStatus::Error) << run_status_name(r.status);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->exception_type, "graph.DependencyCycleError");
    EXPECT_EQ(r.error->node_id, "gen");
    EXPECT_FALSE(run_log().ran("save"));
    auto ev = h.events.first(EventType::ExecutionError);
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->error.node_id, "gen");
    EXPECT_EQ(ev->error.exception_type, "graph.DependencyCycleError");
    EXPECT_FALSE(h.events.seen(EventType::ExecutionSuccess));
    // The session is still usable.
    Workflow ok;
    build::stub_image(ok, "1", "BLACK");
    build::save_image(ok, "2", "1");
    EXPECT_EQ(h.run(ok).status, RunStatus::Success);
}

TEST_P(Expansion, OutputNodesInsideAnExpansionRun) {
    Workflow wf;
    wf.add("e", "TestExpandWithOutputNode").set("value", 0.4);
    build::save_image(wf, "s", "e");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(run_log().count("e.0.save"), 1u) << "an expanded output node runs though no result needs it: " << describe_calls();
    EXPECT_NEAR(mean(saved_images(r, "s").at(0)), 0.4, 1e-6);
}

TEST_P(Expansion, FailureInsideAnExpansionIsReportedOnTheOriginalNode) {
    Workflow wf;
    wf.add("e", "TestExpandToFailure").set("message", "deep failure");
    build::capture(wf, "o", "e");
    RunResult r = h.run(wf);
    EXPECT_EQ(r.status, RunStatus::Error);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->node_id, "e") << "ComfyUI reports the real (original) node id";
    EXPECT_EQ(r.error->display_node_id, "e");
    EXPECT_EQ(r.error->node_type, "TestFailIf");
    EXPECT_NE(r.error->exception_message.find("deep failure"), std::string::npos);
    EXPECT_FALSE(run_log().ran("o"));
}

WEFT_INSTANTIATE_CACHE_MODES(Expansion);

}  // namespace
