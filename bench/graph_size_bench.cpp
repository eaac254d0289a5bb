// graph_size_bench — cost per node of handling big graphs: parse, UI conversion, validate, run.
//
// Three shapes of cheap built-in nodes, at 10^3, 10^5 and 10^6 nodes:
//   chain    PrimitiveString -> (N-2) x StringReplace -> PreviewAny
//   fan-out  PrimitiveString -> (N-1)/2 x (StringReplace -> PreviewAny), each with its own constant
//   fan-in   groups of 1000 PrimitiveString (distinct values) -> one BenchJoin (1000 STRING inputs,
//            an output node registered by this bench on top of the built-ins)
// Phases, each timed on its own (best of `repeats`, process CPU time and wall time): parse (API JSON text -> Workflow), ui (UI
// JSON text -> Workflow, through the built-in schemas), validate (Session::validate), run (a cold
// Session::run, which validates again, computes cache keys, plans and executes). Every (shape,
// size) runs in a child process of its own, so its peak RSS (VmHWM) is its own; the figure per node
// is (peak - RSS once the registry and the bench's description of the graph exist) / N; the peak
// includes the API text while it is parsed. The UI conversion runs in another child, so the
// UI text and its JSON tree do not count in the main peak.
// Targets (issue 14): parse + validate + run <= 5 us per node at every size (judged on process CPU
// time, as the dev machine is shared; the wall time is printed beside it); <= 2 KB peak RSS per node.
//
//   graph_size_bench [--sizes 1000,100000,1000000] [--shapes chain,fanout,fanin] [--repeats 3]
//                    [--ui-max 100000] [--no-gemm]
#include "bench/gemm_peak.h"

#include <weft/weft.h>

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kJoinWidth = 1000;
constexpr double kTimeTarget = 5.0, kRssTarget = 2048.0;  // us per node, bytes per node

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of the whole process (workers included): on a shared machine wall time also counts
// the time other processes held the cores, CPU time does not.
double process_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// A field of /proc/self/status in kB (VmRSS, VmHWM).
long status_kb(const char* field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    const std::string key = std::string(field) + ":";
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + key.size());
    return 0;
}

void register_join(weft::NodeRegistry& reg) {
    weft::NodeSchema schema("BenchJoin");
    for (int i = 0; i < kJoinWidth; ++i) schema.optional(weft::Input::type_of("s" + std::to_string(i), "STRING"));
    schema.output("INT").output_node();
    weft::NodeDefinition def{std::move(schema)};
    def.execute = [](weft::NodeContext& ctx) {
        // Reads one input: reading all of them by name is the node's business, not the graph's.
        const int64_t n = ctx.has("s0") ? 1 : 0;
        ctx.set_output(0, n);
        ctx.set_ui(weft::Dict{{"count", weft::List{weft::Value(n)}}});
    };
    reg.add(std::move(def));
}

// One node of the graph as both formats need it: type, constants, links (input, source index).
struct Spec {
    const char* type;
    std::vector<std::pair<std::string, std::string>> constants;  // STRING widgets, in widget order
    std::vector<std::pair<std::string, size_t>> links;
};

std::vector<Spec> build_specs(const std::string& shape, size_t n) {
    std::vector<Spec> g;
    g.reserve(n);
    if (shape == "chain") {
        g.push_back({"PrimitiveString", {{"value", "abc"}}, {}});
        for (size_t i = 1; i + 1 < n; ++i) g.push_back({"StringReplace", {{"find", "x"}, {"replace", "y"}}, {{"string", i - 1}}});
        g.push_back({"PreviewAny", {}, {{"source", n - 2}}});
    } else if (shape == "fanout") {
        g.push_back({"PrimitiveString", {{"value", "abc"}}, {}});
        while (g.size() + 2 <= n) {
            const size_t r = g.size();
            g.push_back({"StringReplace", {{"find", "a"}, {"replace", "r" + std::to_string(r)}}, {{"string", 0}}});
            g.push_back({"PreviewAny", {}, {{"source", r}}});
        }
    } else {  // fanin
        while (g.size() + 2 <= n) {
            const size_t first = g.size(), width = std::min<size_t>(kJoinWidth, n - g.size() - 1);
            for (size_t k = 0; k < width; ++k) g.push_back({"PrimitiveString", {{"value", "v" + std::to_string(first + k)}}, {}});
            Spec join{"BenchJoin", {}, {}};
            for (size_t k = 0; k < width; ++k) join.links.emplace_back("s" + std::to_string(k), first + k);
            g.push_back(std::move(join));
        }
    }
    return g;
}

// ComfyUI's API format, written here rather than by Workflow::to_json so the bench measures parsing alone.
std::string api_json(const std::vector<Spec>& g) {
    std::string s = "{";
    for (size_t i = 0; i < g.size(); ++i) {
        if (i) s += ',';
        s += "\"" + std::to_string(i + 1) + "\":{\"inputs\":{";
        bool first = true;
        for (const auto& [name, v] : g[i].constants) {
            s += (first ? "\"" : ",\"") + name + "\":\"" + v + "\"";
            first = false;
        }
        for (const auto& [name, src] : g[i].links) {
            s += (first ? "\"" : ",\"") + name + "\":[\"" + std::to_string(src + 1) + "\",0]";
            first = false;
        }
        s += "},\"class_type\":\"" + std::string(g[i].type) + "\"}";
    }
    return s + "}";
}

// The frontend's UI format (schema 0.4, tuple links). A linked STRING widget is a widget socket.
std::string ui_json(const std::vector<Spec>& g) {
    std::string nodes, links;
    size_t link_id = 0;
    for (size_t i = 0; i < g.size(); ++i) {
        const Spec& sp = g[i];
        std::string inputs, widgets;
        for (const auto& [name, src] : sp.links) {
            ++link_id;
            const bool widget = std::string(sp.type) == "StringReplace";
            inputs += (inputs.empty() ? "" : ",") + std::string("{\"name\":\"") + name + "\",\"type\":\"STRING\",\"link\":" +
                      std::to_string(link_id) + (widget ? ",\"widget\":{\"name\":\"" + name + "\"}}" : "}");
            links += (links.empty() ? "[" : ",[") + std::to_string(link_id) + "," + std::to_string(src + 1) + ",0," +
                     std::to_string(i + 1) + ",0,\"STRING\"]";
        }
        if (std::string(sp.type) == "StringReplace") widgets = "\"\"";
        for (const auto& [name, v] : sp.constants) widgets += (widgets.empty() ? "\"" : ",\"") + v + "\"";
        nodes += (nodes.empty() ? "" : ",") + std::string("{\"id\":") + std::to_string(i + 1) + ",\"type\":\"" + sp.type +
                 "\",\"order\":" + std::to_string(i) + ",\"mode\":0,\"inputs\":[" + inputs + "],\"widgets_values\":[" + widgets + "]}";
    }
    return "{\"last_node_id\":" + std::to_string(g.size()) + ",\"last_link_id\":" + std::to_string(link_id) + ",\"nodes\":[" + nodes +
           "],\"links\":[" + links + "],\"version\":0.4}";
}

// The child: one (shape, size); prints "parse validate run hwm_bytes_per_node" or "ui" figures.
int child(const std::string& what, const std::string& shape, size_t n, int repeats) {
    auto reg = weft::builtin_registry();
    register_join(*reg);
    const std::vector<Spec> specs = build_specs(shape, n);
    const long base_kb = status_kb("VmRSS");  // the registry and the bench's own description of the graph
    if (what == "ui") {
        double best = 1e30;
        const std::string text = ui_json(specs);
        for (int r = 0; r < repeats; ++r) {
            auto t0 = Clock::now();
            weft::Workflow wf = weft::Workflow::parse(text, "<bench>", *reg);
            best = std::min(best, seconds_since(t0));
            if (wf.size() != specs.size()) {
                std::fprintf(stderr, "ui: %zu nodes, expected %zu\n", wf.size(), specs.size());
                return 1;
            }
        }
        std::printf("%.6f\n", best);
        return 0;
    }
    // Per phase: best wall time and best process CPU time (the figure to read on a shared machine).
    double wall[3] = {1e30, 1e30, 1e30}, cpu[3] = {1e30, 1e30, 1e30};
    auto timed = [&](int phase, auto&& f) {
        const double c0 = process_cpu_s();
        const auto t0 = Clock::now();
        f();
        wall[phase] = std::min(wall[phase], seconds_since(t0));
        cpu[phase] = std::min(cpu[phase], process_cpu_s() - c0);
    };
    for (int r = 0; r < repeats; ++r) {
        weft::Workflow wf;
        {
            const std::string text = api_json(specs);
            timed(0, [&] { wf = weft::Workflow::parse(text); });
        }
        weft::Session session(reg);
        weft::ValidationReport rep;
        timed(1, [&] { rep = session.validate(wf); });
        if (!rep.ok()) {
            std::fprintf(stderr, "invalid: %s\n", weft::validation_to_json(rep).substr(0, 500).c_str());
            return 1;
        }
        weft::RunResult res;
        timed(2, [&] { res = session.run(wf); });
        if (res.status != weft::RunStatus::Success || res.executed.size() != specs.size()) {
            std::fprintf(stderr, "run: %s, executed %zu of %zu\n", weft::run_status_name(res.status), res.executed.size(), specs.size());
            return 1;
        }
    }
    const double hwm = double(status_kb("VmHWM") - base_kb) * 1024.0;
    std::printf("%.6f %.6f %.6f %.6f %.6f %.6f %.1f\n", cpu[0], cpu[1], cpu[2], wall[0], wall[1], wall[2], hwm / double(n));
    return 0;
}

// Runs this program as a child and returns its stdout (empty on failure).
std::string spawn_child(const char* self, const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return {};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv{const_cast<char*>(self)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    std::string out;
    char buf[256];
    for (ssize_t k; rc == 0 && (k = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, size_t(k));
    close(fds[0]);
    int status = 0;
    if (rc != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
    return out;
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        if (comma > start) out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 6 && std::string(argv[1]) == "--child")
        return child(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10), std::atoi(argv[5]));
    std::vector<std::string> sizes{"1000", "100000", "1000000"}, shapes{"chain", "fanout", "fanin"};
    int repeats = 3;
    size_t ui_max = 100000;
    bool gemm = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--sizes" && has_value) sizes = split(argv[++i]);
        else if (a == "--shapes" && has_value) shapes = split(argv[++i]);
        else if (a == "--repeats" && has_value) repeats = std::max(1, std::atoi(argv[++i]));
        else if (a == "--ui-max" && has_value) ui_max = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--no-gemm") gemm = false;
        else {
            std::fprintf(stderr, "usage: graph_size_bench [--sizes 1000,100000,1000000] [--shapes chain,fanout,fanin] [--repeats 3] "
                                 "[--ui-max 100000] [--no-gemm]\n");
            return 2;
        }
    }
    if (gemm) {
        double foreign = 0;
        const double peak = weft::bench::GemmPeak(4096, 1280, 320, weft::bench::Compute::F32).measure(1.0, &foreign);
        std::printf("oneDNN GEMM peak here: %.0f GFLOP/s fp32 (other processes used %.2f cores meanwhile)\n", peak, foreign);
    }
    std::printf("targets: parse + validate + run <= %.0f us/node; peak RSS <= %.0f bytes/node (best of %d runs; 10^6 and up: 1)\n",
                kTimeTarget, kRssTarget, repeats);
    std::printf("%-7s %8s | %8s %8s %8s %8s %8s | %8s | %9s | %s\n", "shape", "nodes", "parse", "validate", "run", "sum", "sum wall",
                "ui wall", "RSS B/node", "targets (sum, RSS)");
    bool all_met = true;
    for (const std::string& shape : shapes) {
        for (const std::string& size : sizes) {
            const size_t n = std::strtoull(size.c_str(), nullptr, 10);
            const std::string reps = std::to_string(n >= 1000000 ? 1 : repeats);
            const std::string main_out = spawn_child(argv[0], {"--child", "run", shape, size, reps});
            double parse = 0, validate = 0, run = 0, wp = 0, wv = 0, wr = 0, rss = 0;
            if (std::sscanf(main_out.c_str(), "%lf %lf %lf %lf %lf %lf %lf", &parse, &validate, &run, &wp, &wv, &wr, &rss) != 7) {
                std::printf("%-7s %8zu | failed\n", shape.c_str(), n);
                all_met = false;
                continue;
            }
            std::string ui = "-";
            if (n <= ui_max) {
                const std::string out = spawn_child(argv[0], {"--child", "ui", shape, size, reps});
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.3f", out.empty() ? -1.0 : std::atof(out.c_str()) * 1e6 / double(n));
                ui = out.empty() ? "failed" : buf;
            }
            const double us = 1e6 / double(n);
            const double sum = (parse + validate + run) * us, wall_sum = (wp + wv + wr) * us;
            const bool met = sum <= kTimeTarget && rss <= kRssTarget;
            all_met = all_met && met;
            std::printf("%-7s %8zu | %8.3f %8.3f %8.3f %8.3f %8.3f | %8s | %9.0f | %s\n", shape.c_str(), n, parse * us, validate * us,
                        run * us, sum, wall_sum, ui.c_str(), rss, met ? "met" : "NOT MET");
            std::fflush(stdout);
        }
    }
    double load = 0;
    std::printf("(us per node, best of the runs: parse, validate, run and sum in process CPU time, \"sum wall\" and \"ui wall\" in wall\n"
                " time; run = a cold Session::run, including its own validation)\nall targets %s", all_met ? "met" : "NOT met");
    if (getloadavg(&load, 1) == 1) std::printf(" (load average %.1f while measuring)", load);
    std::printf("\n");
    return 0;
}
