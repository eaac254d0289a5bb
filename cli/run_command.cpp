#include "run_command.h"

#include "exit_codes.h"
#include "interrupt_watcher.h"
#include "progress_display.h"
#include "report_text.h"
#include "result_json.h"

#include <weft/registry.h>
#include <weft/session.h>

#include <fmt/format.h>

#include <cstdio>

namespace weft::cli {

namespace {

// Which workflows each --set applies to: the last WORKFLOW named before it, or every workflow
// when it comes before all of them. `scoped[i]` holds the overrides of workflow i.
std::vector<std::vector<InputOverride>> scope_overrides(const RunArgs& args) {
    std::vector<std::vector<InputOverride>> scoped(args.workflows.size());
    size_t workflows_seen = 0, sets_seen = 0;
    std::vector<InputOverride> global;
    for (const CLI::Option* opt : args.command->parse_order()) {
        if (opt == args.workflow_option) {
            ++workflows_seen;
        } else if (opt == args.set_option && sets_seen < args.sets.size()) {
            InputOverride o = parse_override(args.sets[sets_seen++]);
            if (workflows_seen == 0) global.push_back(std::move(o));
            else scoped[workflows_seen - 1].push_back(std::move(o));
        }
    }
    for (auto& list : scoped) list.insert(list.begin(), global.begin(), global.end());
    return scoped;
}

int exit_code_of(RunStatus s) {
    switch (s) {
        case RunStatus::Success: return kExitOk;
        case RunStatus::Invalid: return kExitInvalid;
        default: return kExitFailed;  // Error, Partial, Interrupted
    }
}

}  // namespace

void add_run_command(CLI::App& app, RunArgs& a) {
    CLI::App* run = app.add_subcommand("run", "Run one or more workflows in order, in one session (the cache carries over)");
    a.command = run;
    a.workflow_option = run->add_option("workflow", a.workflows, "Workflow files (API or UI format)")->required()->type_name("WORKFLOW");
    a.folders.add_to(*run);
    a.set_option = run->add_option("--set", a.sets,
                                   "Override an input: NODE_ID.INPUT=VALUE (VALUE as JSON when it parses, else a string). "
                                   "Applies to the workflow named just before it, or to all when written before any")
                       ->type_name("NODE_ID.INPUT=VALUE")
                       ->expected(1)
                       ->allow_extra_args(false)
                       ->take_all();
    run->add_option("--cache", a.cache, "What stays cached between workflows: classic, lru:N, ram:BYTES (K/M/G), none")
        ->type_name("MODE")
        ->capture_default_str();
    run->add_flag("--json", a.json, "Print one JSON object per workflow on stdout (JSON Lines)");
    run->add_option("--target", a.targets, "Run only this output node and what it needs (repeatable)")->type_name("NODE_ID");
    run->add_flag("--continue-on-error", a.continue_on_error,
                  "A failing node blocks only what depends on it, and later workflows still run");
    run->add_flag("-q,--quiet", a.quiet, "No progress display");
    run->add_option("--threads", a.threads, "Worker threads (0 = one per core)")->capture_default_str();
    run->add_option("--precision", a.precision,
                    "Arithmetic of the networks: fp32 (matches ComfyUI) or bf16 (half the weight memory, about 1.5x faster on "
                    "CPUs with AVX512-BF16; fp32 where the CPU has none)")
        ->check(CLI::IsMember({"fp32", "bf16"}))
        ->capture_default_str();
}

int run_command(RunArgs& a) {
    const std::vector<std::vector<InputOverride>> overrides = scope_overrides(a);

    SessionOptions options;
    options.folders = a.folders.folders();
    options.threads = a.threads;
    options.precision = parse_precision(a.precision);
    try {
        options.cache = CacheOptions::parse(a.cache);
    } catch (const std::exception& e) {
        throw CliError(kExitInvalid, fmt::format("--cache {}: {}", a.cache, e.what()));
    }

    Session session(builtin_registry(), options);
    ProgressDisplay display(ProgressDisplay::detect(a.quiet));
    InterruptWatcher watcher(session, [&] { display.note("interrupted: cancelling the run (Ctrl-C again to quit at once)"); });

    auto emit_json = [&](const nlohmann::json& j) {
        std::fprintf(stdout, "%s\n", j.dump().c_str());
        std::fflush(stdout);
    };

    int exit_code = kExitOk;
    for (size_t i = 0; i < a.workflows.size(); ++i) {
        const std::string& path = a.workflows[i];
        if (watcher.interrupted()) {
            exit_code = exit_code ? exit_code : int(kExitFailed);
            break;
        }
        int code = kExitOk;
        std::string text;
        Workflow wf;
        try {
            text = read_workflow_text(path);
            try {
                wf = parse_workflow(text, path);
            } catch (const CliError&) {
                throw;
            } catch (const std::exception& e) {
                const ValidationReport report = parse_error_report(e);
                if (a.json) emit_json(parse_error_json(path, report));
                std::fprintf(stderr, "%s: ", path.c_str());
                print_validation_text(stderr, report);
                code = kExitInvalid;
            }
            if (code == kExitOk) apply_overrides(wf, overrides[i], path);
        } catch (const CliError& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            code = e.code();
        }

        if (code == kExitOk) {
            RunOptions ro;
            if (!a.targets.empty()) ro.targets = a.targets;
            ro.failure_policy = a.continue_on_error ? FailurePolicy::ContinueIndependent : FailurePolicy::FailFast;
            if (!wf.ui_graph().empty()) ro.extra_pnginfo["workflow"] = wf.ui_graph();

            display.begin(path, wf);
            const RunResult r = session.run(wf, ro, [&](const Event& e) { display.on_event(e); });
            display.end();

            if (a.json) emit_json(run_result_json(path, r, options.folders));
            else print_run_summary(stdout, path, r, options.folders);
            if (!r.validation.ok() || !r.validation.node_errors.empty()) {
                std::fprintf(stderr, "%s: ", path.c_str());
                print_validation_text(stderr, r.validation);
            }
            if (r.error) print_execution_error_text(stderr, *r.error);
            for (const ExecutionError& e : r.node_errors)
                if (!r.error || e.node_id != r.error->node_id) print_execution_error_text(stderr, e);
            code = exit_code_of(r.status);
            // Outputs that failed validation did not run, even when the others succeeded.
            if (code == kExitOk && !r.validation.node_errors.empty()) code = kExitInvalid;
            if (r.status == RunStatus::Interrupted) {
                exit_code = exit_code ? exit_code : code;
                break;
            }
        }
        if (code != kExitOk) {
            if (exit_code == kExitOk) exit_code = code;
            if (!a.continue_on_error) break;
        }
    }
    return exit_code;
}

}  // namespace weft::cli
