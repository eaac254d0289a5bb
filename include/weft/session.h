// include/weft/session.h — runs workflows, keeps the cache between runs, reports events, can be cancelled.
//
//   auto session = weft::Session(weft::builtin_registry());
//   weft::RunResult r = session.run(weft::Workflow::load("workflows/demo.json"));
//   if (r.status != weft::RunStatus::Success) std::printf("%s\n", weft::run_status_name(r.status));
//   else std::printf("%zu outputs\n", r.outputs.size());    // r.output("2"): output 0 of node "2"
//
// A run validates the workflow (only output nodes and their ancestors), computes content cache
// keys, then executes what is not cached: independent branches in parallel on a oneTBB arena,
// exclusive (heavy) nodes one at a time. Results are identical whatever the schedule.
//
// Thread safety: one run at a time per session (a second run() waits for the first). cancel() may
// be called from any thread at any time.
#pragma once

#include <weft/error.h>
#include <weft/events.h>
#include <weft/folders.h>
#include <weft/precision.h>
#include <weft/registry.h>
#include <weft/workflow.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft {

/// What stays cached between runs.
struct CacheOptions {
    enum class Mode {
        Classic,  // keep results of nodes in the current workflow; drop the rest (ComfyUI's default)
        Lru,      // keep up to `lru_entries` node results across runs, least recently used dropped
        Ram,      // keep results while their bytes fit in `ram_bytes`, least recently used dropped
        None,     // keep nothing: every node runs every time; intermediates freed at last use
    };
    Mode mode = Mode::Classic;
    size_t lru_entries = 0;
    size_t ram_bytes = 0;

    /// Parses "classic", "lru:N", "ram:BYTES" (suffixes K, M, G allowed), "none".
    static CacheOptions parse(std::string_view text);
};

struct SessionOptions {
    Folders folders;
    /// The precision loaders build networks in (part of every loader's result, so one session
    /// keeps one precision).
    Precision precision = Precision::F32;
    CacheOptions cache;
    /// Worker threads for independent branches and light ops; 0 = one per core.
    int threads = 0;
};

enum class FailurePolicy {
    FailFast,             // the first node failure ends the run (ComfyUI's default)
    ContinueIndependent,  // a failure blocks only what depends on it
};

struct RunOptions {
    /// Reported in every event; generated (a UUID) when empty.
    std::string prompt_id;
    /// Partial execution: run only these output nodes (and what they need). Empty optional = all.
    std::optional<std::vector<std::string>> targets;
    FailurePolicy failure_policy = FailurePolicy::FailFast;
    /// Metadata for saved files (key -> JSON text), e.g. {"workflow": "<UI JSON>"}.
    std::map<std::string, std::string> extra_pnginfo;
    /// Nodes whose outputs the result should keep besides output nodes ("*" keeps every node's).
    std::vector<std::string> capture;
    /// Nodes that can (samplers) publish preview images as EventType::Preview events. Off by
    /// default: nothing is computed for previews unless asked.
    bool previews = false;
};

enum class RunStatus {
    Success,      // every selected output ran (or was cached)
    Partial,      // continue_independent: some outputs failed, others succeeded
    Error,        // a node failed (fail_fast) or every output failed
    Interrupted,  // cancelled
    Invalid,      // validation rejected the workflow; nothing ran
};

const char* run_status_name(RunStatus s);

struct RunResult {
    std::string prompt_id;
    RunStatus status = RunStatus::Invalid;
    /// Validation outcome. Errors of outputs that did not validate are here even when others ran.
    ValidationReport validation;
    /// The failure that ended the run (fail_fast) or made it Error.
    std::optional<ExecutionError> error;
    /// Every node failure under continue_independent.
    std::vector<ExecutionError> node_errors;
    std::vector<std::string> executed;  // node ids that ran, in completion order
    std::vector<std::string> cached;    // node ids served from the cache
    std::vector<std::string> blocked;   // node ids skipped because something they need failed
    /// UI outputs of output nodes (node id -> {"images": [...]}, ...).
    std::map<std::string, Dict> ui;
    /// Output values of output nodes and captured nodes: node id -> [slot] -> list items.
    std::map<std::string, std::vector<List>> outputs;
    std::map<std::string, double> node_seconds;
    double total_seconds = 0;

    /// Output `slot`, list item `index` of node `node_id`; throws weft::Error when absent.
    const Value& output(const std::string& node_id, size_t slot = 0, size_t index = 0) const;
    bool ok() const { return status == RunStatus::Success; }
};

class Session {
public:
    explicit Session(std::shared_ptr<const NodeRegistry> registry, SessionOptions options = {});
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    /// Validates without running (only output nodes and their ancestors, as ComfyUI does).
    ValidationReport validate(const Workflow& workflow, const RunOptions& options = {}) const;

    /// Validates and runs `workflow`; returns when it has finished, failed or been cancelled.
    /// Never throws for problems of the workflow or its nodes: they are in the result.
    RunResult run(const Workflow& workflow, const RunOptions& options = {}, const EventCallback& on_event = {});

    /// Cancels the running run (if `prompt_id` is given, only when it is that run). Safe from any
    /// thread; the run stops at the next node boundary or progress report.
    void cancel(std::string_view prompt_id = {});

    /// Drops every cached result and node instance state (ComfyUI's /free with free_memory).
    void clear_cache();
    /// Number of cached node results and their bytes.
    size_t cache_entries() const;
    size_t cache_bytes() const;

    const NodeRegistry& registry() const;
    const SessionOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace weft
