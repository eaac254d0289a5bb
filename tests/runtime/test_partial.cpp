// Partial execution (checklist 4, 14): only targeted outputs and what they need run; output nodes
// that are dependencies still run; an empty target list is invalid.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

class Partial : public CacheModeTest {};

RunOptions targets(std::vector<std::string> t) {
    RunOptions o;
    o.targets = std::move(t);
    return o;
}

// Three independent outputs: 1 -> 2, 3 -> 4, 5 -> 6.
Workflow three_outputs() {
    Workflow wf;
    build::const_image(wf, "1", 0.1);
    build::save_image(wf, "2", "1");
    build::const_image(wf, "3", 0.3);
    build::save_image(wf, "4", "3");
    build::const_image(wf, "5", 0.5);
    build::save_image(wf, "6", "5");
    return wf;
}

TEST_P(Partial, OnlyTheTargetedOutputRuns) {
    RunResult r = h.run(three_outputs(), targets({"2"}));
    ASSERT_EQ(r.status, RunStatus::Success) << run_status_name(r.status);
    EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"1", "2"}));
    EXPECT_EQ(saved_images(r, "2").size(), 1u);
    EXPECT_TRUE(saved_images(r, "4").empty());
    EXPECT_TRUE(saved_images(r, "6").empty());
}

TEST_P(Partial, ExcludedOutputAndItsInputsDoNotRun) {
    RunResult r = h.run(three_outputs(), targets({"2", "4"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"1", "2", "3", "4"}));
    EXPECT_NEAR(mean(saved_images(r, "4").at(0)), 0.3, 1e-6);
}

TEST_P(Partial, OutputNodesThatAreDependenciesStillRun) {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    wf.add("2", "TestOutputNodeWithSocketOutput").link("image", "1").set("value", 0.5);
    wf.add("3", "TestOutputNodeWithSocketOutput").link("image", "2").set("value", 0.5);
    build::save_image(wf, "4", "3");
    build::save_image(wf, "5", "1");
    RunResult r = h.run(wf, targets({"3"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"1", "2", "3"})) << describe_calls();
    EXPECT_NEAR(mean(r.output("3").as_tensor()), 0.25, 1e-6);
}

TEST_P(Partial, EmptyTargetListIsInvalid) {
    RunResult r = h.run(three_outputs(), targets({}));
    EXPECT_EQ(r.status, RunStatus::Invalid) << run_status_name(r.status);
    EXPECT_FALSE(r.validation.ok());
    EXPECT_EQ(run_log().total(), 0u);
}

TEST_P(Partial, LazySkippingStillApplies) {
    Workflow wf;
    build::stub_image(wf, "1", "BLACK");
    build::stub_image(wf, "2", "WHITE");
    build::stub_mask(wf, "3", 0.0);
    wf.add("4", "TestLazyMixImages").link("image1", "1").link("image2", "2").link("mask", "3");
    build::save_image(wf, "5", "4");
    build::save_image(wf, "6", "2");  // the only other user of "2", not targeted
    RunResult r = h.run(wf, targets({"5"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_FALSE(run_log().ran("2"));
    EXPECT_FALSE(run_log().ran("6"));
    EXPECT_DOUBLE_EQ(mean(saved_images(r, "5").at(0)), 0.0);
}

TEST_P(Partial, InvalidUntargetedOutputDoesNotMatter) {
    Workflow wf = three_outputs();
    wf.add("7", "TestSaveImage");  // missing input, but not targeted
    RunResult r = h.run(wf, targets({"2"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_TRUE(r.validation.node_errors.empty());
    EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"1", "2"}));
}

TEST_P(Partial, LaterFullRunReusesPartialResults) {
    ASSERT_EQ(h.run(three_outputs(), targets({"2"})).status, RunStatus::Success);
    run_log().reset();
    RunResult r = h.run(three_outputs());
    ASSERT_EQ(r.status, RunStatus::Success);
    if (caches()) EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"3", "4", "5", "6"})) << describe_calls();
    else EXPECT_EQ(run_log().ran_ids().size(), 6u);
}

WEFT_INSTANTIATE_CACHE_MODES(Partial);

}  // namespace
