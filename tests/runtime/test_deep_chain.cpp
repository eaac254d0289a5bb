// Scale: a 3000-node chain runs (and is cached) without recursion limits or stack overflow.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

TEST(DeepChain, ThreeThousandNodes) {
    Harness h;
    const int n = 3000;
    Workflow wf = build::int_chain(n);
    RunOptions o;
    o.capture = {"c" + std::to_string(n)};
    const auto t0 = std::chrono::steady_clock::now();
    RunResult r = h.run(wf, o);
    const double cold = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_EQ(r.output("c" + std::to_string(n)).as_int(), n);
    EXPECT_EQ(r.executed.size(), size_t(n + 2));
    EXPECT_EQ(run_log().total(), size_t(n + 2));

    run_log().reset();
    const auto t1 = std::chrono::steady_clock::now();
    RunResult again = h.run(wf, o);
    const double warm = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    ASSERT_EQ(again.status, RunStatus::Success);
    EXPECT_EQ(run_log().total(), 0u);
    EXPECT_EQ(again.cached.size(), size_t(n + 2));
    EXPECT_EQ(again.output("c" + std::to_string(n)).as_int(), n);
    std::printf("[ figures  ] 3000-node chain: %.1f ms cold, %.1f ms cached\n", cold * 1e3, warm * 1e3);
    EXPECT_LT(cold, 10.0);
}

TEST(DeepChain, ChangingTheHeadRerunsTheWholeChain) {
    Harness h;
    Workflow wf = build::int_chain(500);
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    wf.set_input("c0", "value", 10);
    run_log().reset();
    RunOptions o;
    o.capture = {"c500"};
    RunResult r = h.run(wf, o);
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(r.output("c500").as_int(), 510);
    EXPECT_EQ(run_log().total(), 502u);
}

TEST(DeepChain, ChangingTheTailRerunsOnlyTheTail) {
    Harness h;
    Workflow wf = build::int_chain(500);
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    wf.set_input("c500", "b", 5);
    run_log().reset();
    RunOptions o;
    o.capture = {"c500"};
    RunResult r = h.run(wf, o);
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_EQ(r.output("c500").as_int(), 504);
    EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"c500", "out"}));
}

}  // namespace
