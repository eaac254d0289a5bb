// List mapping (checklist 20-21): per-element calls over the longest list with the shorter lists
// repeating their last element, INPUT_IS_LIST nodes called once, OUTPUT_IS_LIST concatenation.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

// A TestMakeListNode `id` of StubInt values (nodes id_0, id_1, ...).
void int_list(Workflow& wf, const std::string& id, std::vector<int64_t> vals) {
    WorkflowNode* list = nullptr;
    for (size_t i = 0; i < vals.size(); ++i) build::stub_int(wf, id + "_" + std::to_string(i), vals[i]);
    list = &wf.add(id, "TestMakeListNode");
    for (size_t i = 0; i < vals.size(); ++i) list->link("value" + std::to_string(i + 1), id + "_" + std::to_string(i));
}

std::vector<int64_t> ints(const RunResult& r, const std::string& id, size_t slot = 0) {
    std::vector<int64_t> v;
    auto it = r.outputs.find(id);
    if (it == r.outputs.end() || it->second.size() <= slot) return v;
    for (const Value& x : it->second[slot]) v.push_back(x.as_int());
    return v;
}

RunOptions capturing(std::vector<std::string> ids) {
    RunOptions o;
    o.capture = std::move(ids);
    return o;
}

class Lists : public CacheModeTest {};

TEST_P(Lists, LongestListWinsShorterRepeatsItsLast) {
    Workflow wf;
    int_list(wf, "a", {1, 2, 3});
    int_list(wf, "b", {10, 20});
    build::int_math(wf, "m", "add").link("a", "a").link("b", "b");
    build::capture(wf, "out", "m");
    RunResult r = h.run(wf, capturing({"m"}));
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(ints(r, "m"), (std::vector<int64_t>{11, 22, 23}));
    EXPECT_EQ(run_log().count("m"), 3u);
    EXPECT_EQ(ui_list(r, "out", "values").size(), 3u) << "the output node is list-mapped too";
}

TEST_P(Lists, ScalarAndListInputs) {
    Workflow wf;
    int_list(wf, "a", {1, 2, 3});
    build::int_math(wf, "m", "multiply").link("a", "a").set("b", 10);
    build::capture(wf, "out", "m");
    RunResult r = h.run(wf, capturing({"m"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(ints(r, "m"), (std::vector<int64_t>{10, 20, 30}));
}

TEST_P(Lists, InputIsListNodeIsCalledOnceWithWholeLists) {
    Workflow wf;
    int_list(wf, "a", {1, 2, 3});
    wf.add("sum", "TestListSum").link("values", "a");
    build::capture(wf, "out", "sum");
    RunResult r = h.run(wf, capturing({"sum"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(run_log().count("sum"), 1u);
    EXPECT_EQ(ints(r, "sum", 0), std::vector<int64_t>{6});
    EXPECT_EQ(ints(r, "sum", 1), std::vector<int64_t>{3});
}

TEST_P(Lists, OutputListsAreConcatenatedAcrossCalls) {
    Workflow wf;
    int_list(wf, "a", {1, 2});
    wf.add("rep", "TestRepeatToList").link("value", "a").set("count", 2);
    wf.add("sum", "TestListSum").link("values", "rep");
    build::capture(wf, "out", "sum");
    RunResult r = h.run(wf, capturing({"rep", "sum"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(run_log().count("rep"), 2u);
    EXPECT_EQ(ints(r, "rep"), (std::vector<int64_t>{1, 1, 2, 2}));
    EXPECT_EQ(ints(r, "sum", 0), std::vector<int64_t>{6});
    EXPECT_EQ(ints(r, "sum", 1), std::vector<int64_t>{4});
}

TEST_P(Lists, NodeWithoutInputsIsCalledOnce) {
    Workflow wf;
    wf.add("n", "TestNoInputs");
    build::capture(wf, "out", "n");
    RunResult r = h.run(wf, capturing({"n"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(run_log().count("n"), 1u);
    EXPECT_EQ(ints(r, "n"), std::vector<int64_t>{42});
}

TEST_P(Lists, AccumulationRoundTrip) {
    Workflow wf;
    int_list(wf, "a", {1, 2, 3});
    wf.add("acc", "TestListToAccumulationNode").link("list", "a");
    wf.add("len", "TestAccumulationGetLengthNode").link("accumulation", "acc");
    wf.add("back", "TestAccumulationToListNode").link("accumulation", "acc");
    build::int_math(wf, "plus", "add").link("a", "back").set("b", 10);
    build::capture(wf, "o1", "len");
    build::capture(wf, "o2", "plus");
    RunResult r = h.run(wf, capturing({"len", "plus"}));
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(run_log().count("acc"), 1u);
    EXPECT_EQ(ints(r, "len"), std::vector<int64_t>{3});
    EXPECT_EQ(ints(r, "plus"), (std::vector<int64_t>{11, 12, 13}));
}

TEST_P(Lists, ImageListIntoOutputNode) {
    Workflow wf;
    build::const_image(wf, "i0", 0.1);
    build::const_image(wf, "i1", 0.2);
    build::const_image(wf, "i2", 0.3);
    wf.add("l", "TestMakeListNode").link("value1", "i0").link("value2", "i1").link("value3", "i2");
    build::save_image(wf, "s", "l");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    auto imgs = saved_images(r, "s");
    ASSERT_EQ(imgs.size(), 3u) << "UI lists are concatenated across calls";
    EXPECT_NEAR(mean(imgs[0]), 0.1, 1e-6);
    EXPECT_NEAR(mean(imgs[1]), 0.2, 1e-6);
    EXPECT_NEAR(mean(imgs[2]), 0.3, 1e-6);
    EXPECT_EQ(run_log().count("s"), 3u);
}

TEST_P(Lists, ListResultsAreCachedWhole) {
    Workflow wf;
    int_list(wf, "a", {1, 2, 3});
    build::int_math(wf, "m", "add").link("a", "a").set("b", 1);
    build::capture(wf, "out", "m");
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    run_log().reset();
    RunResult r = h.run(wf, capturing({"m"}));
    ASSERT_EQ(r.status, RunStatus::Success);
    if (caches()) {
        EXPECT_EQ(run_log().total(), 0u) << describe_calls();
    }
    EXPECT_EQ(ints(r, "m"), (std::vector<int64_t>{2, 3, 4}));
}

WEFT_INSTANTIATE_CACHE_MODES(Lists);

}  // namespace
