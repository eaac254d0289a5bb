// Caching (checklist 25-27, 29): identical resubmission, partial changes, identical nodes inside one
// workflow, classic vs LRU vs RAM vs none retention, clear_cache.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

// 1 white, 2 black, 3 mask -> 4 mix -> 5 average -> 6 save; 1 -> 7 save (a sibling branch).
Workflow graph(double mask) {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::stub_image(wf, "2", "BLACK");
    build::stub_mask(wf, "3", mask);
    wf.add("4", "TestLazyMixImages").link("image1", "1").link("image2", "2").link("mask", "3");
    wf.add("5", "TestVariadicAverage").link("input1", "4");
    build::save_image(wf, "6", "5");
    build::save_image(wf, "7", "1");
    return wf;
}

class Cache : public CacheModeTest {};

TEST_P(Cache, IdenticalResubmissionRunsNothing) {
    Workflow wf = graph(0.5);
    RunResult first = h.run(wf);
    ASSERT_EQ(first.status, RunStatus::Success);
    EXPECT_EQ(as_set(run_log().ran_ids()), ids_of(wf));
    EXPECT_EQ(as_set(first.executed), ids_of(wf));

    run_log().reset();
    RunResult second = h.run(wf);
    ASSERT_EQ(second.status, RunStatus::Success);
    auto cached_event = h.events.first(EventType::ExecutionCached);
    ASSERT_TRUE(cached_event.has_value());
    if (caches()) {
        EXPECT_EQ(run_log().total(), 0u) << describe_calls();
        EXPECT_TRUE(second.executed.empty());
        EXPECT_EQ(as_set(second.cached), ids_of(wf));
        EXPECT_EQ(as_set(cached_event->nodes), ids_of(wf));
        EXPECT_EQ(h.events.count(EventType::Executing), 0u);
    } else {
        EXPECT_EQ(as_set(run_log().ran_ids()), ids_of(wf)) << "cache none: every node runs every time";
        EXPECT_TRUE(cached_event->nodes.empty());
        EXPECT_TRUE(second.cached.empty());
    }
    // The outputs are the same either way.
    ASSERT_EQ(saved_images(second, "6").size(), 1u);
    EXPECT_NEAR(mean(saved_images(second, "6")[0]), 0.5, 1e-6);
    ASSERT_EQ(saved_images(second, "7").size(), 1u);
    EXPECT_DOUBLE_EQ(mean(saved_images(second, "7")[0]), 1.0);
}

TEST_P(Cache, ChangingOneConstantRerunsItAndDescendantsOnly) {
    ASSERT_EQ(h.run(graph(0.5)).status, RunStatus::Success);
    run_log().reset();
    RunResult r = h.run(graph(0.25));
    ASSERT_EQ(r.status, RunStatus::Success);
    if (caches()) {
        EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"3", "4", "5", "6"})) << describe_calls();
        EXPECT_EQ(as_set(r.cached), (std::set<std::string>{"1", "2", "7"}));
    } else {
        EXPECT_EQ(run_log().ran_ids().size(), 7u);
    }
    EXPECT_NEAR(mean(saved_images(r, "6").at(0)), 0.75, 1e-6);
}

TEST_P(Cache, IdenticalNodesInOneWorkflowRunOnce) {
    // Cache keys ignore node ids: two identical sources (and the identical saves after them) share
    // one result; both outputs still report an image (ComfyUI's test_output_reuse).
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::stub_image(wf, "2", "WHITE");
    build::save_image(wf, "3", "1");
    build::save_image(wf, "4", "2");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    if (caches()) {
        EXPECT_EQ(run_log().count_class("StubImage"), 1u) << describe_calls();
        EXPECT_EQ(run_log().count_class("TestSaveImage"), 1u) << describe_calls();
    } else {
        EXPECT_GE(run_log().count_class("StubImage"), 1u);
    }
    EXPECT_EQ(saved_images(r, "3").size(), 1u);
    EXPECT_EQ(saved_images(r, "4").size(), 1u);
}

TEST_P(Cache, NotIdempotentNodesRunSeparately) {
    Workflow wf;
    wf.add("1", "TestNotIdempotent").set("value", 5);
    wf.add("2", "TestNotIdempotent").set("value", 5);
    build::capture(wf, "3", "1");
    build::capture(wf, "4", "2");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(run_log().count("1"), 1u);
    EXPECT_EQ(run_log().count("2"), 1u);
    // ... and they are still cached across runs.
    run_log().reset();
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    EXPECT_EQ(run_log().total(), caches() ? 0u : 4u) << describe_calls();
}

TEST_P(Cache, UniqueIdHiddenInputMakesNodesDistinct) {
    Workflow wf;
    wf.add("1", "TestHiddenProbe").set("tag", "same");
    wf.add("2", "TestHiddenProbe").set("tag", "same");
    build::capture(wf, "3", "1");
    build::capture(wf, "4", "2");
    RunOptions o;
    o.capture = {"1", "2"};
    RunResult r = h.run(wf, o);
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(run_log().count_class("TestHiddenProbe"), 2u);
    EXPECT_EQ(r.output("1", 0).as_string(), "1");
    EXPECT_EQ(r.output("2", 0).as_string(), "2");
}

TEST_P(Cache, RetentionAcrossWorkflows) {
    // A, then a disjoint B, then A again: classic dropped A's results when B ran; LRU and a large
    // RAM budget kept them; none keeps nothing.
    Workflow a, b;
    build::stub_image(a, "1", "WHITE");
    build::save_image(a, "2", "1");
    build::stub_image(b, "1", "BLACK");
    build::save_image(b, "2", "1");
    ASSERT_EQ(h.run(a).status, RunStatus::Success);
    ASSERT_EQ(h.run(b).status, RunStatus::Success);
    run_log().reset();
    RunResult r = h.run(a);
    ASSERT_EQ(r.status, RunStatus::Success);
    if (h.mode == "classic" || h.mode == "none") {
        EXPECT_EQ(run_log().total(), 2u) << h.mode << ": " << describe_calls();
    } else {
        EXPECT_EQ(run_log().total(), 0u) << h.mode << ": " << describe_calls();
    }
    EXPECT_DOUBLE_EQ(mean(saved_images(r, "2").at(0)), 1.0);
}

TEST_P(Cache, ClearCacheDropsEverything) {
    Workflow wf = graph(0.5);
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    if (caches()) {
        EXPECT_GT(h.session.cache_entries(), 0u);
        EXPECT_GT(h.session.cache_bytes(), 0u);
    } else {
        EXPECT_EQ(h.session.cache_entries(), 0u) << "cache none keeps nothing after a run";
    }
    h.session.clear_cache();
    EXPECT_EQ(h.session.cache_entries(), 0u);
    EXPECT_EQ(h.session.cache_bytes(), 0u);
    run_log().reset();
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    EXPECT_EQ(as_set(run_log().ran_ids()), ids_of(wf));
}

TEST_P(Cache, SiblingOutputAddedLaterReusesSharedAncestors) {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::save_image(wf, "2", "1");
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    wf.add("3", "TestVariadicAverage").link("input1", "1");
    build::save_image(wf, "4", "3");
    run_log().reset();
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    if (caches()) EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"3", "4"})) << describe_calls();
    else EXPECT_EQ(run_log().ran_ids().size(), 4u);
}

WEFT_INSTANTIATE_CACHE_MODES(Cache);

// Six distinct 64x64 images (49152 bytes each), each through an output node whose own output is
// an image of the same size (the bytes a cache entry counts are its outputs).
Workflow big_images() {
    Workflow wf;
    for (int i = 0; i < 6; ++i) {
        build::const_image(wf, "i" + std::to_string(i), 0.1 * i, 64);
        wf.add("s" + std::to_string(i), "TestOutputNodeWithSocketOutput").link("image", "i" + std::to_string(i)).set("value", 1.0);
    }
    return wf;
}

Workflow small_image() {
    Workflow wf;
    build::stub_image(wf, "1", "BLACK", 4);
    build::save_image(wf, "2", "1");
    return wf;
}

TEST(CacheRam, EarlierResultsAreKeptOnlyWithinTheByteBudget) {
    // A run may exceed the budget while it goes (its own results are not evicted under it, as in
    // ComfyUI's LRU), but what later runs keep of it must fit.
    Harness h("ram:60000");
    RunResult r = h.run(big_images());
    ASSERT_EQ(r.status, RunStatus::Success);
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(mean(r.output("s" + std::to_string(i)).as_tensor()), 0.1 * i, 1e-6);
    ASSERT_EQ(h.run(small_image()).status, RunStatus::Success);
    EXPECT_LE(h.session.cache_bytes(), 60000u);
    run_log().reset();
    RunResult again = h.run(big_images());
    ASSERT_EQ(again.status, RunStatus::Success);
    EXPECT_GE(run_log().count_class("TestOutputNodeWithSocketOutput"), 5u)
        << "at most one 48 KiB result fits in 60000 bytes: " << describe_calls();
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(mean(again.output("s" + std::to_string(i)).as_tensor()), 0.1 * i, 1e-6);
}

TEST(CacheRam, LargeBudgetKeepsEarlierResults) {
    Harness h("ram:1G");
    ASSERT_EQ(h.run(big_images()).status, RunStatus::Success);
    ASSERT_EQ(h.run(small_image()).status, RunStatus::Success);
    EXPECT_GT(h.session.cache_bytes(), 6u * 49152u);
    run_log().reset();
    ASSERT_EQ(h.run(big_images()).status, RunStatus::Success);
    EXPECT_EQ(run_log().total(), 0u) << describe_calls();
}

TEST(CacheLru, EntryLimitAppliesToEarlierRuns) {
    // lru:2 keeps at most 2 entries of earlier runs once a later run has started.
    Harness h("lru:2");
    ASSERT_EQ(h.run(big_images()).status, RunStatus::Success);
    ASSERT_EQ(h.run(small_image()).status, RunStatus::Success);
    EXPECT_LE(h.session.cache_entries(), 2u + 2u) << "2 kept + the 2 entries of the current run";
    run_log().reset();
    ASSERT_EQ(h.run(big_images()).status, RunStatus::Success);
    EXPECT_GE(run_log().count_class("TestOutputNodeWithSocketOutput"), 4u) << describe_calls();
}

TEST(CacheOptionsParse, Modes) {
    EXPECT_EQ(CacheOptions::parse("classic").mode, CacheOptions::Mode::Classic);
    EXPECT_EQ(CacheOptions::parse("none").mode, CacheOptions::Mode::None);
    CacheOptions lru = CacheOptions::parse("lru:100");
    EXPECT_EQ(lru.mode, CacheOptions::Mode::Lru);
    EXPECT_EQ(lru.lru_entries, 100u);
    CacheOptions ram = CacheOptions::parse("ram:2G");
    EXPECT_EQ(ram.mode, CacheOptions::Mode::Ram);
    EXPECT_GE(ram.ram_bytes, size_t{2000000000});
    EXPECT_EQ(CacheOptions::parse("ram:4096").ram_bytes, 4096u);
}

}  // namespace
