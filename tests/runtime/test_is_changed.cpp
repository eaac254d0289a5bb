// Fingerprints / IS_CHANGED (checklist 28): equal -> cached, different -> rerun with descendants,
// nullopt ("NaN") -> always rerun, an exception -> rerun; computed from constants only.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

// "1" white -> "2" TestFingerprint(key) -> "3" average -> "4" save.
Workflow fp_graph(const std::string& key) {
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    wf.add("2", "TestFingerprint").set("key", key).link("image", "1");
    wf.add("3", "TestVariadicAverage").link("input1", "2");
    build::save_image(wf, "4", "3");
    return wf;
}

FingerprintBehaviour fp_value(Value v) { return {FingerprintBehaviour::Kind::Value, std::move(v)}; }

class IsChanged : public CacheModeTest {};

TEST_P(IsChanged, EqualFingerprintIsCached) {
    set_fingerprint("k", fp_value(Value("v1")));
    ASSERT_EQ(h.run(fp_graph("k")).status, RunStatus::Success);
    const size_t calls_after_first = fingerprint_calls();
    EXPECT_GE(calls_after_first, 1u);
    run_log().reset();
    ASSERT_EQ(h.run(fp_graph("k")).status, RunStatus::Success);
    EXPECT_GT(fingerprint_calls(), calls_after_first) << "the fingerprint is computed for every run";
    if (caches()) EXPECT_EQ(run_log().total(), 0u) << describe_calls();
    else EXPECT_EQ(run_log().total(), 4u);
}

TEST_P(IsChanged, DifferentFingerprintRerunsNodeAndDescendants) {
    set_fingerprint("k", fp_value(Value(1)));
    ASSERT_EQ(h.run(fp_graph("k")).status, RunStatus::Success);
    set_fingerprint("k", fp_value(Value(2)));
    run_log().reset();
    ASSERT_EQ(h.run(fp_graph("k")).status, RunStatus::Success);
    if (caches()) EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"2", "3", "4"})) << describe_calls();
    else EXPECT_EQ(run_log().total(), 4u);
}

TEST_P(IsChanged, AlwaysChangedRerunsEveryTime) {
    set_fingerprint("k", {FingerprintBehaviour::Kind::AlwaysChanged, {}});
    ASSERT_EQ(h.run(fp_graph("k")).status, RunStatus::Success);
    for (int i = 0; i < 2; ++i) {
        run_log().reset();
        ASSERT_EQ(h.run(fp_graph("k")).status, RunStatus::Success);
        if (caches()) EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"2", "3", "4"})) << describe_calls();
        else EXPECT_EQ(run_log().total(), 4u);
    }
}

TEST_P(IsChanged, ThrowingFingerprintRerunsAndDoesNotFailTheRun) {
    set_fingerprint("k", {FingerprintBehaviour::Kind::Throw, {}});
    RunResult first = h.run(fp_graph("k"));
    ASSERT_EQ(first.status, RunStatus::Success) << (first.error ? first.error->exception_message : "");
    run_log().reset();
    ASSERT_EQ(h.run(fp_graph("k")).status, RunStatus::Success);
    if (caches()) {
        EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"2", "3", "4"})) << describe_calls();
    }
}

TEST_P(IsChanged, ComfyStyleShouldChangeFlag) {
    // TestCustomIsChanged: fingerprint false -> cached on rerun; "NaN" (nullopt) -> reruns.
    for (bool should_change : {false, true}) {
        Harness fresh(GetParam());
        Workflow wf;
        build::stub_image(wf, "1", "WHITE");
        wf.add("2", "TestCustomIsChanged").link("image", "1").set("should_change", should_change);
        build::save_image(wf, "3", "2");
        ASSERT_EQ(fresh.run(wf).status, RunStatus::Success);
        run_log().reset();
        RunResult r = fresh.run(wf);
        ASSERT_EQ(r.status, RunStatus::Success);
        if (!fresh.caches()) continue;
        if (should_change) EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"2", "3"})) << describe_calls();
        else EXPECT_EQ(run_log().total(), 0u) << describe_calls();
        EXPECT_DOUBLE_EQ(mean(saved_images(r, "3").at(0)), 1.0);
    }
}

TEST_P(IsChanged, FingerprintSeesConstantsOnly) {
    // ComfyUI's test_is_changed_with_outputs: the linked image is absent when the fingerprint runs.
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    wf.add("2", "TestIsChangedWithConstants").link("image", "1").set("value", 0.25);
    build::save_image(wf, "3", "2");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    ASSERT_TRUE(fingerprint_saw_linked_input().has_value()) << "the fingerprint never ran";
    EXPECT_FALSE(*fingerprint_saw_linked_input());
    EXPECT_NEAR(mean(saved_images(r, "3").at(0)), 0.25, 1e-6);
    run_log().reset();
    RunResult again = h.run(wf);
    ASSERT_EQ(again.status, RunStatus::Success);
    if (caches()) {
        EXPECT_EQ(run_log().total(), 0u) << describe_calls();
    }
    EXPECT_NEAR(mean(saved_images(again, "3").at(0)), 0.25, 1e-6);
}

WEFT_INSTANTIATE_CACHE_MODES(IsChanged);

}  // namespace
