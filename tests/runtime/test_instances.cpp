// Node instance state (checklist 30): kept per (node id, class) across runs of a session, dropped by
// clear_cache().
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

Workflow counter(const std::string& cls, int64_t tick, const std::string& id = "1") {
    Workflow wf;
    wf.add(id, cls).set("tick", tick);
    build::capture(wf, "out", id);
    return wf;
}

int64_t run_count(Harness& h, const Workflow& wf, const std::string& id = "1") {
    RunOptions o;
    o.capture = {id};
    RunResult r = h.run(wf, o);
    EXPECT_EQ(r.status, RunStatus::Success);
    return r.ok() ? r.output(id).as_int() : -1;
}

TEST(Instances, StatePersistsAcrossRuns) {
    Harness h;
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 0)), 1);
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 1)), 2);
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 2)), 3);
}

TEST(Instances, StateIsPerNodeId) {
    Harness h;
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 0)), 1);
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 1, "9"), "9"), 1);
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 2)), 2);
}

TEST(Instances, StateIsPerClass) {
    Harness h;
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 0)), 1);
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter2", 1)), 1) << "same id, other class: a new instance";
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 2)), 2);
}

TEST(Instances, ClearCacheDropsInstances) {
    Harness h;
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 0)), 1);
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 1)), 2);
    h.session.clear_cache();
    EXPECT_EQ(run_count(h, counter("TestInstanceCounter", 2)), 1);
}

TEST(Instances, SessionsDoNotShareInstances) {
    Harness a, b;
    EXPECT_EQ(run_count(a, counter("TestInstanceCounter", 0)), 1);
    EXPECT_EQ(run_count(b, counter("TestInstanceCounter", 0)), 1);
}

}  // namespace
