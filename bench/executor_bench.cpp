// executor_bench — scheduling overhead of the executor on trivial nodes.
//
// Two shapes: a 1000-node chain (each node adds 1 to the previous one) and a 1000-node fan-out (one
// source feeding 1000 output nodes, each with its own constant so none share a cache key). Each is
// run cold (empty cache) and fully cached; the figure is wall time per node. Targets: <= 5 us per
// executed node, <= 1 us per cached node.
//
//   executor_bench [repeats=15] [threads=0]
//   executor_bench --profile-cached [runs=2000]   (only cached chain runs, for perf record)
//   executor_bench --long-chain [nodes=1000000]   (the run phase of one long chain, cache mode none)
#include <weft/weft.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// CPU seconds of the whole process: on a machine shared with other work, wall time also counts the
// time other processes held the cores, CPU time does not.
double process_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void register_bench_nodes(weft::NodeRegistry& reg) {
    weft::NodeDefinition src;
    src.schema = weft::NodeSchema("BenchSource").required(weft::Input::integer("value", 0)).output("INT");
    src.execute = [](weft::NodeContext& ctx) { ctx.set_output(0, ctx.get_int("value")); };
    reg.add(std::move(src));

    weft::NodeDefinition add;
    add.schema = weft::NodeSchema("BenchAdd").required(weft::Input::type_of("x", "INT")).required(weft::Input::integer("k", 1)).output("INT");
    add.execute = [](weft::NodeContext& ctx) { ctx.set_output(0, ctx.get_int("x") + ctx.get_int("k")); };
    reg.add(std::move(add));

    weft::NodeDefinition sink;
    sink.schema = weft::NodeSchema("BenchSink")
                      .required(weft::Input::type_of("x", "INT"))
                      .required(weft::Input::integer("k", 0))
                      .output("INT")
                      .output_node();
    sink.execute = [](weft::NodeContext& ctx) { ctx.set_output(0, ctx.get_int("x") + ctx.get_int("k")); };
    reg.add(std::move(sink));
}

// source -> 998 adds -> sink: 1000 nodes.
weft::Workflow chain(int n) {
    weft::Workflow wf;
    wf.add("0", "BenchSource").set("value", 0);
    for (int i = 1; i < n - 1; ++i) wf.add(std::to_string(i), "BenchAdd").link("x", std::to_string(i - 1)).set("k", 1);
    wf.add(std::to_string(n - 1), "BenchSink").link("x", std::to_string(n - 2)).set("k", 1);
    return wf;
}

// source -> 999 sinks with distinct constants: 1000 nodes.
weft::Workflow fan_out(int n) {
    weft::Workflow wf;
    wf.add("0", "BenchSource").set("value", 0);
    for (int i = 1; i < n; ++i) wf.add(std::to_string(i), "BenchSink").link("x", "0").set("k", i);
    return wf;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct Figures {
    double cold_us_per_node, cached_us_per_node, validate_us_per_node;
    double cold_cpu_us_per_node, cached_cpu_us_per_node;
};

Figures measure(const std::shared_ptr<weft::NodeRegistry>& reg, const weft::Workflow& wf, int repeats, int threads) {
    weft::SessionOptions opts;
    opts.threads = threads;
    weft::Session session(reg, opts);
    const double n = static_cast<double>(wf.size());
    std::vector<double> cold, cached, validation, cold_cpu, cached_cpu;
    for (int r = 0; r < repeats + 1; ++r) {  // the first round warms up allocators and threads
        session.clear_cache();
        const double c0 = process_cpu_s();
        auto t0 = Clock::now();
        weft::RunResult a = session.run(wf);
        auto t1 = Clock::now();
        const double c1 = process_cpu_s();
        weft::RunResult b = session.run(wf);
        auto t2 = Clock::now();
        const double c2 = process_cpu_s();
        if (a.status != weft::RunStatus::Success || b.status != weft::RunStatus::Success) {
            std::fprintf(stderr, "run failed: %s / %s\n", weft::run_status_name(a.status), weft::run_status_name(b.status));
            if (a.error) std::fprintf(stderr, "  %s\n", a.error->exception_message.c_str());
            std::exit(1);
        }
        if (a.executed.size() != wf.size() || b.cached.size() != wf.size()) {
            std::fprintf(stderr, "unexpected counts: executed %zu, cached %zu of %zu\n", a.executed.size(), b.cached.size(), wf.size());
            std::exit(1);
        }
        auto t3 = Clock::now();
        weft::ValidationReport rep = session.validate(wf);
        auto t4 = Clock::now();
        if (!rep.ok()) std::exit(1);
        if (r == 0) continue;
        validation.push_back(std::chrono::duration<double, std::micro>(t4 - t3).count() / n);
        cold_cpu.push_back((c1 - c0) * 1e6 / n);
        cached_cpu.push_back((c2 - c1) * 1e6 / n);
        cold.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / n);
        cached.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count() / n);
    }
    return {median(cold), median(cached), median(validation), median(cold_cpu), median(cached_cpu)};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "--profile-cached") {
        auto reg = std::make_shared<weft::NodeRegistry>();
        register_bench_nodes(*reg);
        weft::Session session(reg);
        weft::Workflow wf = chain(1000);
        session.run(wf);
        const int runs = argc > 2 ? std::atoi(argv[2]) : 2000;
        auto t0 = Clock::now();
        for (int i = 0; i < runs; ++i) session.run(wf);
        std::printf("%.3f us/node cached\n", std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / runs / 1000.0);
        return 0;
    }
    if (argc > 1 && std::string(argv[1]) == "--long-chain") {
        // Cache mode none, so every node executes every run (and intermediates are freed at last
        // use). The second run reuses the first one's validation and keys, so its time is the run
        // phase alone: planning, scheduling, node calls, events, freeing.
        const int n = argc > 2 ? std::max(3, std::atoi(argv[2])) : 1000000;
        auto reg = std::make_shared<weft::NodeRegistry>();
        register_bench_nodes(*reg);
        weft::SessionOptions opts;
        opts.cache = weft::CacheOptions::parse("none");
        weft::Session session(reg, opts);
        weft::Workflow wf = chain(n);
        auto t0 = Clock::now();
        weft::RunResult first = session.run(wf);
        auto t1 = Clock::now();
        const double c1 = process_cpu_s();
        weft::RunResult second = session.run(wf);
        auto t2 = Clock::now();
        const double c2 = process_cpu_s();
        if (first.status != weft::RunStatus::Success || second.status != weft::RunStatus::Success || second.executed.size() != wf.size()) {
            std::fprintf(stderr, "run failed: %s\n", first.error ? first.error->exception_message.c_str() : weft::run_status_name(second.status));
            return 1;
        }
        std::printf("long chain of %d nodes, cache none: first run %.3f us/node (with validation and keys), run phase %.3f us/node "
                    "(process CPU %.3f us/node)\n",
                    n, std::chrono::duration<double, std::micro>(t1 - t0).count() / n, std::chrono::duration<double, std::micro>(t2 - t1).count() / n,
                    (c2 - c1) * 1e6 / n);
        return 0;
    }
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 15;
    const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
    auto reg = std::make_shared<weft::NodeRegistry>();
    register_bench_nodes(*reg);

    constexpr double kColdTarget = 5.0, kCachedTarget = 1.0;
    const int n = 1000;
    struct Shape { const char* name; weft::Workflow wf; };
    std::vector<Shape> shapes;
    shapes.push_back({"chain", chain(n)});
    shapes.push_back({"fan-out", fan_out(n)});

    std::printf("executor_bench: %d nodes, median of %d runs, threads=%d (0 = one per core)\n", n, repeats, threads);
    bool all_met = true;
    for (const Shape& s : shapes) {
        Figures f = measure(reg, s.wf, repeats, threads);
        const bool cold_ok = f.cold_us_per_node <= kColdTarget, cached_ok = f.cached_us_per_node <= kCachedTarget;
        all_met = all_met && cold_ok && cached_ok;
        std::printf("  %-8s cold   %8.3f us/node  (target <= %.0f us: %s)\n", s.name, f.cold_us_per_node, kColdTarget,
                    cold_ok ? "met" : "NOT MET");
        std::printf("  %-8s cached %8.3f us/node  (target <= %.0f us: %s)\n", s.name, f.cached_us_per_node, kCachedTarget,
                    cached_ok ? "met" : "NOT MET");
        std::printf("  %-8s process CPU time: cold %.3f us/node, cached %.3f us/node; Session::validate alone %.3f us/node wall\n",
                    s.name, f.cold_cpu_us_per_node, f.cached_cpu_us_per_node, f.validate_us_per_node);
    }
    double load = 0;
    if (getloadavg(&load, 1) == 1)
        std::printf("all targets %s (wall time; load average %.1f on this machine while measuring)\n", all_met ? "met" : "NOT met", load);
    else
        std::printf("all targets %s (wall time)\n", all_met ? "met" : "NOT met");
    return 0;
}
