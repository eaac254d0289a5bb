// Parallel scheduling: independent branches run at the same time on real threads; exclusive nodes
// never overlap; results do not depend on the number of threads.
#include "runtime_fixture.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

using namespace weft;
using namespace weft::testing;

namespace {

/// CPU seconds the whole machine has been busy (from /proc/stat), or -1 when unreadable.
double machine_busy_seconds() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return -1;
    return static_cast<double>(user + nice + system + irq + softirq) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

const NodeCall* find_call(const std::vector<NodeCall>& calls, const std::string& id) {
    for (const NodeCall& c : calls)
        if (c.node_id == id) return &c;
    return nullptr;
}

TEST(Parallel, TwoCpuBoundBranchesRunConcurrently) {
    if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs 2 cores";
    Harness h("classic", 2);
    Workflow wf;
    wf.add("a", "TestBusyWork").set("seconds", 1.0).set("tag", "a");
    wf.add("b", "TestBusyWork").set("seconds", 1.0).set("tag", "b");
    build::capture(wf, "ao", "a");
    build::capture(wf, "bo", "b");
    const double busy0 = machine_busy_seconds(), own0 = own_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    RunResult r = h.run(wf);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // CPU time other processes took from the machine meanwhile (ctest runs other tests beside this one).
    const double foreign = busy0 < 0 ? 0.0 : (machine_busy_seconds() - busy0) - (own_cpu_seconds() - own0);
    ASSERT_EQ(r.status, RunStatus::Success);
    std::printf("[ figures  ] two 1 s CPU branches on 2 threads: %.3f s wall\n", wall);
    RecordProperty("two_branches_wall_s", std::to_string(wall));
    auto calls = run_log().calls();
    const NodeCall *a = find_call(calls, "a"), *b = find_call(calls, "b");
    ASSERT_TRUE(a && b);
    EXPECT_LT(std::max(a->start_ms, b->start_ms), std::min(a->end_ms, b->end_ms)) << "the two branches never overlapped";
    // The wall-clock bound needs two free cores; when other processes took a noticeable share of the
    // machine during the run, only the overlap above is meaningful.
    if (foreign > 0.3 * wall) {
        std::printf("[ figures  ] other processes used %.2f CPU s during the run: wall-clock bound not checked\n", foreign);
    } else {
        EXPECT_LT(wall, 1.8) << "2 s of single-threaded work on 2 cores should take about 1 s";
    }
}

TEST(Parallel, ExclusiveNodesNeverOverlap) {
    Harness h("classic", 2);
    Workflow wf;
    for (const char* id : {"x1", "x2", "x3"}) {
        wf.add(id, "TestExclusiveWork").set("seconds", 0.15).set("tag", id);
        build::capture(wf, std::string(id) + "o", id);
    }
    wf.add("n", "TestBusyWork").set("seconds", 0.15).set("tag", "n");
    build::capture(wf, "no", "n");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    auto calls = run_log().calls();
    std::vector<const NodeCall*> ex;
    for (const char* id : {"x1", "x2", "x3"}) {
        ex.push_back(find_call(calls, id));
        ASSERT_TRUE(ex.back()) << id << " did not run";
    }
    for (size_t i = 0; i < ex.size(); ++i)
        for (size_t j = i + 1; j < ex.size(); ++j) {
            const bool disjoint = ex[i]->end_ms <= ex[j]->start_ms || ex[j]->end_ms <= ex[i]->start_ms;
            EXPECT_TRUE(disjoint) << ex[i]->node_id << " [" << ex[i]->start_ms << ", " << ex[i]->end_ms << "] overlaps "
                                  << ex[j]->node_id << " [" << ex[j]->start_ms << ", " << ex[j]->end_ms << "]";
        }
}

TEST(Parallel, ResultsDoNotDependOnThreadCount) {
    auto graph = [] {
        Workflow wf;
        for (int i = 0; i < 8; ++i) build::const_image(wf, "c" + std::to_string(i), 0.1 * i);
        for (int i = 0; i < 8; i += 2)
            wf.add("p" + std::to_string(i), "TestVariadicAverage").link("input1", "c" + std::to_string(i)).link("input2", "c" + std::to_string(i + 1));
        wf.add("q0", "TestVariadicAverage").link("input1", "p0").link("input2", "p2");
        wf.add("q1", "TestVariadicAverage").link("input1", "p4").link("input2", "p6");
        wf.add("r", "TestVariadicAverage").link("input1", "q0").link("input2", "q1");
        build::save_image(wf, "s", "r");
        return wf;
    };
    std::vector<double> results;
    for (int threads : {1, 2, 4}) {
        Harness h("none", threads);
        RunResult r = h.run(graph());
        ASSERT_EQ(r.status, RunStatus::Success) << threads;
        results.push_back(mean(saved_images(r, "s").at(0)));
    }
    EXPECT_NEAR(results[0], 0.35, 1e-6);
    EXPECT_EQ(results[0], results[1]);
    EXPECT_EQ(results[0], results[2]);
}

TEST(Parallel, OneThreadStillRunsEverything) {
    Harness h("classic", 1);
    Workflow wf;
    wf.add("a", "TestBusyWork").set("seconds", 0.01).set("tag", "a");
    wf.add("b", "TestBusyWork").set("seconds", 0.01).set("tag", "b");
    build::capture(wf, "ao", "a");
    build::capture(wf, "bo", "b");
    ASSERT_EQ(h.run(wf).status, RunStatus::Success);
    EXPECT_EQ(run_log().total(), 4u);
}

}  // namespace
