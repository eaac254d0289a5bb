// Cancellation (checklist 33 as far as the runtime goes): cancel() from another thread during a
// long node that reports progress ends the run Interrupted with an execution_interrupted event; a
// cancel aimed at another prompt id does nothing; the next run works.
#include "runtime_fixture.h"

#include <thread>

using namespace weft;
using namespace weft::testing;

namespace {

// "1" int -> "2" sleep(seconds) -> "3" capture.
Workflow long_sleep(double seconds) {
    Workflow wf;
    build::stub_int(wf, "1", 1);
    build::sleep(wf, "2", seconds).link("value", "1");
    build::capture(wf, "3", "2");
    return wf;
}

// Polls until `pred` holds or `timeout_s` passes.
template <class F>
bool wait_for(F pred, double timeout_s) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pred();
}

TEST(Cancel, FromAnotherThreadDuringALongNode) {
    Harness h;
    RunResult r;
    RunOptions o;
    o.prompt_id = "cancel-me";
    std::atomic<bool> done{false};
    std::chrono::steady_clock::time_point returned;
    std::thread runner([&] {
        r = h.session.run(long_sleep(10.0), o, h.events.callback());
        returned = std::chrono::steady_clock::now();
        done = true;
    });
    ASSERT_TRUE(wait_for([&] { return h.events.seen(EventType::Progress, "2"); }, 10.0)) << "the sleep never reported progress";
    const auto t0 = std::chrono::steady_clock::now();
    h.session.cancel();
    const bool stopped = wait_for([&] { return done.load(); }, 5.0);
    if (!stopped) h.session.cancel();  // never leave the thread sleeping 30 s
    runner.join();
    ASSERT_TRUE(stopped) << "the run did not stop within 5 s of cancel()";
    const double latency_ms = std::chrono::duration<double, std::milli>(returned - t0).count();
    std::printf("[ figures  ] cancel latency (cancel() to run() returning): %.2f ms\n", latency_ms);
    RecordProperty("cancel_latency_ms", std::to_string(latency_ms));
    EXPECT_LT(latency_ms, 500.0);

    EXPECT_EQ(r.status, RunStatus::Interrupted) << run_status_name(r.status);
    auto ev = h.events.first(EventType::ExecutionInterrupted);
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->prompt_id, "cancel-me");
    EXPECT_EQ(ev->node_id, "2");
    EXPECT_FALSE(h.events.seen(EventType::ExecutionSuccess));
    EXPECT_FALSE(h.events.seen(EventType::ExecutionError));
    EXPECT_FALSE(run_log().ran("3"));

    // The next run works, and reuses what finished before the cancel.
    run_log().reset();
    RunResult next = h.run(long_sleep(0.01));
    EXPECT_EQ(next.status, RunStatus::Success);
    EXPECT_FALSE(run_log().ran("1")) << "outputs cached before the cancel are reused";
    EXPECT_TRUE(run_log().ran("2"));
}

TEST(Cancel, TargetedAtAnotherPromptDoesNothing) {
    Harness h;
    RunResult r;
    RunOptions o;
    o.prompt_id = "p-running";
    std::atomic<bool> done{false};
    std::thread runner([&] {
        r = h.session.run(long_sleep(0.4), o, h.events.callback());
        done = true;
    });
    ASSERT_TRUE(wait_for([&] { return h.events.seen(EventType::Progress, "2"); }, 10.0));
    h.session.cancel("p-some-other");
    runner.join();
    EXPECT_EQ(r.status, RunStatus::Success) << run_status_name(r.status);
    EXPECT_TRUE(run_log().ran("3"));
}

TEST(Cancel, TargetedAtTheRunningPrompt) {
    Harness h;
    RunResult r;
    RunOptions o;
    o.prompt_id = "p-target";
    std::atomic<bool> done{false};
    std::thread runner([&] {
        r = h.session.run(long_sleep(10.0), o, h.events.callback());
        done = true;
    });
    ASSERT_TRUE(wait_for([&] { return h.events.seen(EventType::Progress, "2"); }, 10.0));
    h.session.cancel("p-target");
    const bool stopped = wait_for([&] { return done.load(); }, 5.0);
    if (!stopped) h.session.cancel();
    runner.join();
    ASSERT_TRUE(stopped);
    EXPECT_EQ(r.status, RunStatus::Interrupted);
}

TEST(Cancel, CancelWithNothingRunningDoesNotAffectTheNextRun) {
    Harness h;
    h.session.cancel();
    RunResult r = h.run(long_sleep(0.01));
    EXPECT_EQ(r.status, RunStatus::Success) << run_status_name(r.status);
}

TEST(Cancel, CpuBoundNodeCheckingCancellation) {
    Harness h;
    Workflow wf;
    wf.add("w", "TestBusyWork").set("seconds", 10.0).set("tag", "w");
    build::capture(wf, "o", "w");
    RunResult r;
    std::atomic<bool> done{false};
    std::thread runner([&] {
        r = h.session.run(wf, {}, h.events.callback());
        done = true;
    });
    ASSERT_TRUE(wait_for([&] { return h.events.seen(EventType::Executing, "w"); }, 10.0));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    h.session.cancel();
    const bool stopped = wait_for([&] { return done.load(); }, 5.0);
    if (!stopped) h.session.cancel();
    runner.join();
    ASSERT_TRUE(stopped);
    EXPECT_EQ(r.status, RunStatus::Interrupted);
    EXPECT_TRUE(h.events.seen(EventType::ExecutionInterrupted));
}

}  // namespace
