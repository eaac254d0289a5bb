// Lazy inputs (checklist 18): an unrequested branch never runs; check_lazy is asked again after the
// requested inputs arrive; list-mapped lazy nodes decide per element.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

// "1" black, "2" white, "3" mask, "4" lazy mix, "5" save.
Workflow lazy_mix(double mask, const std::string& image2_class = "StubImage") {
    Workflow wf;
    build::stub_image(wf, "1", "BLACK");
    if (image2_class == "StubImage") build::stub_image(wf, "2", "WHITE");
    else build::fail_if(wf, "2", true, "the lazily skipped branch ran");
    build::stub_mask(wf, "3", mask);
    wf.add("4", "TestLazyMixImages").link("image1", "1").link("image2", "2").link("mask", "3");
    build::save_image(wf, "5", "4");
    return wf;
}

class Lazy : public CacheModeTest {};

TEST_P(Lazy, MaskZeroNeverRunsImage2) {
    RunResult r = h.run(lazy_mix(0.0));
    ASSERT_EQ(r.status, RunStatus::Success) << run_status_name(r.status);
    EXPECT_FALSE(run_log().ran("2")) << describe_calls();
    for (const char* id : {"1", "3", "4", "5"}) EXPECT_EQ(run_log().count(id), 1u) << id;
    auto imgs = saved_images(r, "5");
    ASSERT_EQ(imgs.size(), 1u);
    EXPECT_DOUBLE_EQ(mean(imgs[0]), 0.0);
    EXPECT_FALSE(contains(r.executed, "2"));
}

TEST_P(Lazy, MaskOneNeverRunsImage1) {
    RunResult r = h.run(lazy_mix(1.0));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_FALSE(run_log().ran("1")) << describe_calls();
    EXPECT_TRUE(run_log().ran("2"));
    auto imgs = saved_images(r, "5");
    ASSERT_EQ(imgs.size(), 1u);
    EXPECT_DOUBLE_EQ(mean(imgs[0]), 1.0);
}

TEST_P(Lazy, HalfMaskRunsBothAndMixes) {
    RunResult r = h.run(lazy_mix(0.5));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_TRUE(run_log().ran("1"));
    EXPECT_TRUE(run_log().ran("2"));
    EXPECT_EQ(run_log().count("4"), 1u) << "execute runs once, after check_lazy is satisfied";
    auto imgs = saved_images(r, "5");
    ASSERT_EQ(imgs.size(), 1u);
    EXPECT_NEAR(mean(imgs[0]), 0.5, 1e-6);
}

TEST_P(Lazy, SkippedBranchMayHoldAFailingNode) {
    // The skipped branch fails if it ever runs: the run must succeed without touching it.
    RunResult r = h.run(lazy_mix(0.0, "TestFailIf"));
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_FALSE(run_log().ran("2"));
}

TEST_P(Lazy, RestagedNodeEmitsExecutingAgain) {
    // The mix node is staged, asks for its lazy inputs, and is staged again once they arrive.
    RunResult r = h.run(lazy_mix(0.5));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(h.events.count(EventType::Executing, "4"), 2u);
    EXPECT_EQ(h.events.count(EventType::Executing, "2"), 1u);
}

TEST_P(Lazy, ChangingMaskRunsThePreviouslySkippedBranch) {
    ASSERT_EQ(h.run(lazy_mix(0.0)).status, RunStatus::Success);
    run_log().reset();
    RunResult r = h.run(lazy_mix(1.0));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_TRUE(run_log().ran("2")) << "image2 was never computed before";
    EXPECT_FALSE(run_log().ran("1")) << "image1 is not needed with mask 1";
    EXPECT_TRUE(run_log().ran("3"));
    EXPECT_TRUE(run_log().ran("4"));
    EXPECT_DOUBLE_EQ(mean(saved_images(r, "5").at(0)), 1.0);
}

TEST_P(Lazy, ListMappedLazyMixDecidesPerElement) {
    // ComfyUI's test_mixed_lazy_results: masks 0, 0.5, 1 in one list -> 0, 0.5, 1.
    Workflow wf;
    build::stub_image(wf, "1", "BLACK");
    build::stub_image(wf, "2", "WHITE");
    build::stub_mask(wf, "m0", 0.0);
    build::stub_mask(wf, "m1", 0.5);
    build::stub_mask(wf, "m2", 1.0);
    wf.add("masks", "TestMakeListNode").link("value1", "m0").link("value2", "m1").link("value3", "m2");
    wf.add("mix", "TestLazyMixImages").link("image1", "1").link("image2", "2").link("mask", "masks");
    build::save_image(wf, "out", "mix");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    auto imgs = saved_images(r, "out");
    ASSERT_EQ(imgs.size(), 3u);
    EXPECT_NEAR(mean(imgs[0]), 0.0, 1e-6);
    EXPECT_NEAR(mean(imgs[1]), 0.5, 1e-6);
    EXPECT_NEAR(mean(imgs[2]), 1.0, 1e-6);
    EXPECT_EQ(run_log().count("mix"), 3u);
}

TEST_P(Lazy, NodeIsRestagedForEachRequest) {
    // check_lazy asks for a, then b, then c: each source runs only after the previous one finished.
    Workflow wf;
    build::sleep(wf, "sa", 0.01).set("value", 1);
    build::sleep(wf, "sb", 0.02).set("value", 2);
    build::sleep(wf, "sc", 0.03).set("value", 3);
    wf.add("n", "TestLazyOneAtATime").link("a", "sa").link("b", "sb").link("c", "sc");
    build::capture(wf, "out", "n");
    RunOptions o;
    o.capture = {"n"};
    RunResult r = h.run(wf, o);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(r.output("n").as_int(), 123);
    EXPECT_EQ(run_log().count("n"), 1u);
    EXPECT_EQ(h.events.count(EventType::Executing, "n"), 4u) << "staged, then again after each of the 3 requests";
    std::map<std::string, NodeCall> calls;
    for (const NodeCall& c : run_log().calls()) calls[c.node_id] = c;
    ASSERT_TRUE(calls.count("sa") && calls.count("sb") && calls.count("sc"));
    EXPECT_GE(calls["sb"].start_ms, calls["sa"].end_ms) << "b is requested only once a has arrived";
    EXPECT_GE(calls["sc"].start_ms, calls["sb"].end_ms);
}

WEFT_INSTANTIATE_CACHE_MODES(Lazy);

}  // namespace
