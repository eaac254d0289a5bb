// The executor: ties the plan (run_plan.h, run_keys.h), the scheduler (scheduler.h, node_task.h),
// expansion (expansion.h, call_results.h) and events (run_events.h) into one run, and owns the
// state machine of its nodes: completions, failures, blocking and the run's outcome.
#include "runtime/executor.h"

#include "runtime/call_results.h"
#include "runtime/dynamic_graph.h"
#include "runtime/expansion.h"
#include "runtime/node_call.h"
#include "runtime/node_run.h"
#include "runtime/node_task.h"
#include "runtime/run_events.h"
#include "runtime/run_keys.h"
#include "runtime/run_plan.h"
#include "runtime/scheduler.h"

#include <weft/error.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_set>

namespace weft::runtime {
namespace {

using Clock = std::chrono::steady_clock;

class Executor final : PlanListener {
public:
    Executor(SessionState& session, std::shared_ptr<PreparedRun> prepared, const RunOptions& options, const std::string& prompt_id,
             const EventCallback& on_event, CancelToken& cancel)
        : session_(session), registry_(*session.registry), options_(options), prepared_(std::move(prepared)),
          outputs_(prepared_->validated.report.good_outputs), graph_(prepared_->base), events_(on_event, prompt_id), cancel_(cancel),
          keys_(run_, registry_), plan_(graph_, session.cache, session.cache.options().mode == CacheOptions::Mode::None, *this),
          scheduler_(session.arena) {
        result_.prompt_id = prompt_id;
        run_.graph = &graph_;
        run_.folders = &session.options.folders;
        run_.precision = session.options.precision;
        run_.prompt = &prepared_->validated.coerced;
        run_.extra_pnginfo = &options.extra_pnginfo;
        run_.cancel = &cancel;
        run_.events = &events_.sink();
        run_.resources = &session.resources;
        run_.previews = options.previews && events_.enabled();
        run_.instance_slot = [this](const std::string& id, const std::string& cls) -> std::shared_ptr<void>& {
            return session_.instances.slot(id, cls);
        };
        capture_all_ = std::find(options.capture.begin(), options.capture.end(), "*") != options.capture.end();
    }

    RunResult run() {
        auto start = Clock::now();
        events_.started();
        setup();
        loop();
        finish();
        result_.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return std::move(result_);
    }

private:
    NodeRun& st(uint32_t n) { return plan_.node(n); }

    /// The run returns this node's outputs (RunOptions::capture).
    bool captured(uint32_t n) const {
        return capture_all_ || std::find(options_.capture.begin(), options_.capture.end(), graph_.at(n).node.id) != options_.capture.end();
    }

    // ---- setup: fingerprints, keys, cache lookups, the initial plan -------------------------

    void setup() {
        const size_t n = graph_.size();
        std::vector<NodeRun>& nodes = plan_.nodes();
        nodes.resize(n);
        for (size_t i = 0; i < n; ++i) {
            nodes[i].def = prepared_->defs[i];
            nodes[i].kept = captured(static_cast<uint32_t>(i));
        }
        if (prepared_->keys_ready) {
            for (size_t i = 0; i < n; ++i) nodes[i].key = prepared_->keys[i];
            session_.cache.begin_run(prepared_->key_set);
        } else {
            std::vector<std::string> ids = graph_.ids();
            for (size_t i = 0; i < n; ++i) keys_.fingerprint(graph_.at(i), nodes[i].def);
            keys_.compute(graph_, ids, nodes);
            std::unordered_set<graph::CacheKey, graph::CacheKeyHash> current;
            for (const auto& s : nodes) current.insert(s.key);
            session_.cache.begin_run(current);
            if (!prepared_->any_fingerprint) {
                // Without fingerprints the keys depend on the workflow alone: keep them for a repeat.
                prepared_->keys.reserve(n);
                for (const auto& s : nodes) prepared_->keys.push_back(s.key);
                prepared_->key_set = std::move(current);
                prepared_->keys_ready = true;
            }
        }

        std::vector<std::string> cached_ids;
        for (uint32_t i = 0; i < n; ++i)
            if (plan_.resolve_cache(i)) cached_ids.push_back(graph_.at(i).node.id);
        result_.cached = cached_ids;
        events_.cached(std::move(cached_ids));

        for (const std::string& id : outputs_) {
            int64_t idx = graph_.index_of(id);
            if (idx < 0) continue;
            st(idx).root = st(idx).kept = true;
            plan_.plan(static_cast<uint32_t>(idx));
            // A cached output node is still "staged": it re-sends its UI, without `executing`.
            if (st(idx).cached) events_.executed(graph_.at(idx), st(idx).result.get());
        }
    }

    // ---- PlanListener -------------------------------------------------------------------------

    void ready(uint32_t n) override {
        NodeRun& s = st(n);
        if (s.alias_of) {
            aliases_.push_back(n);
            return;
        }
        if (s.phase == Phase::Collecting) {
            collect_.push_back(n);
            return;
        }
        s.phase = Phase::Ready;
        scheduler_.push(n, s.def && s.def->schema.is_output_node(), s.def && s.def->schema.is_exclusive());
    }

    void block(uint32_t n) override {
        NodeRun& s = st(n);
        if (s.phase == Phase::Blocked || s.phase == Phase::Done || s.phase == Phase::Failed) return;
        s.phase = Phase::Blocked;
        result_.blocked.push_back(graph_.at(n).node.id);
        plan_.release_reads(n);
        block_dependents(n);
    }

    // ---- the scheduling loop ----------------------------------------------------------------

    void loop() {
        for (;;) {
            while (!collect_.empty() || !aliases_.empty()) {
                if (!aliases_.empty()) {
                    uint32_t n = aliases_.front();
                    aliases_.pop_front();
                    finish_alias(n);
                    continue;
                }
                uint32_t n = collect_.front();
                collect_.pop_front();
                finish_expansion(n);
            }
            dispatch();
            const bool idle = scheduler_.running() == 0 && collect_.empty() && aliases_.empty();
            if (idle && (stopping_ || !scheduler_.has_ready())) break;
            if (scheduler_.running() == 0) continue;
            for (TaskResult& r : scheduler_.wait()) complete(std::move(r));
        }
    }

    void dispatch() {
        while (!stopping_) {
            std::optional<uint32_t> next = scheduler_.pop();
            if (!next) return;
            const uint32_t n = *next;
            if (cancel_.is_cancelled()) {
                interrupted_node_ = n;
                stop_interrupted();
                return;
            }
            NodeRun& s = st(n);
            s.phase = Phase::Running;
            events_.executing(graph_.at(n));
            auto inputs = std::make_shared<NodeInputs>(gather_inputs(n));
            // Node and definition are looked up here: expansion may grow the plan while it runs.
            auto task = [this, n, g = &graph_.at(n), def = s.def, inputs] {
                TaskResult r = run_node_task(run_, n, *g, *def, *inputs);
                inputs->values.clear();  // the task's hold on its inputs ends with it (free at last use)
                return r;
            };
            if (auto r = scheduler_.start(s.def->schema.is_exclusive(), std::move(task))) complete(std::move(*r));
        }
    }

    NodeInputs gather_inputs(uint32_t n) {
        NodeInputs in;
        const GraphNode& g = graph_.at(n);
        for (const auto& [name, v] : g.node.inputs) {
            if (!v.is_link()) {
                in.values.emplace_back(name, List{v});
                continue;
            }
            in.linked.push_back(name);
            const Input* spec = st(n).def->schema.find_input(name);
            if (spec && spec->raw_link) {
                in.values.emplace_back(name, List{v});
                continue;
            }
            if (const std::vector<List>* outs = outputs_of(v.as_link())) {
                size_t slot = static_cast<size_t>(v.as_link().slot);
                if (slot < outs->size()) in.values.emplace_back(name, (*outs)[slot]);
            }  // else absent (lazy, not requested)
        }
        return in;
    }

    /// The outputs of the node `link` names, when it is done.
    const std::vector<List>* outputs_of(const Link& link) {
        int64_t src = graph_.index_of(link.node_id);
        if (src < 0 || st(src).phase != Phase::Done || !st(src).result) return nullptr;
        return &st(src).result->outputs;
    }

    // ---- completions (scheduler thread) ----------------------------------------------------------

    void complete(TaskResult r) {
        NodeRun& s = st(r.node);
        const bool exclusive = s.def && s.def->schema.is_exclusive();
        scheduler_.finished(exclusive);
        s.seconds += r.seconds;
        switch (r.kind) {
        case TaskResult::Kind::Cancelled:
            s.phase = Phase::Failed;
            if (!interrupted_node_) interrupted_node_ = r.node;
            stop_interrupted();
            return;
        case TaskResult::Kind::Failed:
            s.phase = Phase::Failed;
            fail(r.node, std::move(r.error));
            return;
        case TaskResult::Kind::NeedLazy: {
            s.phase = Phase::Waiting;
            std::vector<uint32_t> stack;
            const GraphNode& g = graph_.at(r.node);
            for (const std::string& name : r.lazy_requests) {
                s.requested_lazy.insert(name);
                if (const Value* v = g.node.find(name); v && v->is_link()) plan_.add_dependency(r.node, v->as_link(), stack);
            }
            for (uint32_t p : stack) plan_.plan(p);
            if (s.phase == Phase::Waiting && s.waiting_on == 0) ready(r.node);
            return;
        }
        case TaskResult::Kind::Done:
            break;
        }
        bool expanded = false;
        for (const CallOutput& c : r.calls) expanded = expanded || c.expansion.has_value();
        for (const CallOutput& c : r.calls)
            if (c.blocked && c.blocked->message) events_.blocked(graph_.at(r.node), *c.blocked->message);
        if (expanded) {
            try {
                start_expansion(r.node, std::move(r.calls));
            } catch (const Error& e) {
                plan_.nodes().resize(graph_.size());  // nodes added before a duplicate id stay unplanned
                st(r.node).phase = Phase::Failed;  // `s` may dangle: expansion grew the plan
                fail(r.node, node_error(graph_.at(r.node), nullptr, e));
            }
            return;
        }
        finish_node(r.node, std::move(r.calls));
    }

    /// Merges per-call results into the node's outputs (list mapping), caches them, wakes consumers.
    void finish_node(uint32_t n, std::vector<CallOutput> calls) {
        NodeRun& s = st(n);
        std::shared_ptr<CacheEntry> entry = merge_calls(s.def->schema, calls, [this](const Link& l) { return outputs_of(l); });
        s.result = entry;
        s.phase = Phase::Done;
        s.pending_calls.clear();
        result_.executed.push_back(graph_.at(n).node.id);
        result_.node_seconds[graph_.at(n).node.id] = s.seconds;
        if (!s.key_unique) {
            entry->bytes = entry_bytes(entry->outputs);
            session_.cache.put(s.key, std::move(entry));
        }
        if (s.result->ui) events_.executed(graph_.at(n), s.result.get());
        plan_.release_reads(n);
        wake_dependents(n);
        plan_.drop_if_unread(n);  // nothing of this run will read it
    }

    void wake_dependents(uint32_t n) {
        for (uint32_t d : st(n).dependents) {
            NodeRun& ds = st(d);
            if ((ds.phase == Phase::Waiting || ds.phase == Phase::Collecting) && --ds.waiting_on == 0) ready(d);
        }
    }

    // ---- node expansion ---------------------------------------------------------------------------

    void start_expansion(uint32_t n, std::vector<CallOutput> calls) {
        AddedNodes added = add_expansion(graph_, registry_, n, calls);
        std::vector<NodeRun>& nodes = plan_.nodes();
        nodes.resize(graph_.size());
        std::vector<std::string> new_ids;
        std::vector<uint32_t> new_outputs;
        for (const auto& [idx, def] : added) {
            nodes[idx].def = def;
            nodes[idx].kept = captured(idx);
            new_ids.push_back(graph_.at(idx).node.id);
            if (def->schema.is_output_node()) new_outputs.push_back(idx);
        }
        for (const auto& [idx, def] : added) keys_.fingerprint(graph_.at(idx), def);
        keys_.know_base(graph_, nodes);
        keys_.compute(graph_, new_ids, nodes);

        NodeRun& s = st(n);
        s.phase = Phase::Collecting;
        std::vector<uint32_t> stack;
        for (const CallOutput& c : calls)
            if (c.expansion)
                for (const Value& v : c.expansion_results)
                    if (v.is_link()) {
                        plan_.add_read(n, v.as_link());
                        plan_.add_dependency(n, v.as_link(), stack);
                    }
        s.pending_calls = std::move(calls);
        for (uint32_t p : stack) plan_.plan(p);
        for (uint32_t o : new_outputs) {
            st(o).root = st(o).kept = true;
            plan_.plan(o);
        }
        if (st(n).phase == Phase::Collecting && st(n).waiting_on == 0) collect_.push_back(n);
    }

    /// The identical node finished: take its result as a cache hit would (no `executing`).
    void finish_alias(uint32_t n) {
        NodeRun& s = st(n);
        const NodeRun& source = st(*s.alias_of);
        if (s.phase != Phase::Waiting || source.phase != Phase::Done) return;
        s.result = source.result;
        s.phase = Phase::Done;
        if (s.root) events_.executed(graph_.at(n), s.result.get());
        plan_.release_reads(n);
        wake_dependents(n);
        plan_.drop_if_unread(n);
    }

    void finish_expansion(uint32_t n) {
        NodeRun& s = st(n);
        if (s.phase != Phase::Collecting) return;
        finish_node(n, std::move(s.pending_calls));
    }

    // ---- failure, blocking, interruption ------------------------------------------------------------

    void fail(uint32_t n, ExecutionError error) {
        error.executed = result_.executed;
        plan_.release_reads(n);
        if (options_.failure_policy == FailurePolicy::ContinueIndependent) {
            events_.node_failed(graph_.at(n), error);
            result_.node_errors.push_back(std::move(error));
            block_dependents(n);
            return;
        }
        if (!result_.error) result_.error = std::move(error);
        stopping_ = true;
    }

    void block_dependents(uint32_t n) {
        std::vector<uint32_t> stack(st(n).dependents.begin(), st(n).dependents.end());
        while (!stack.empty()) {
            uint32_t d = stack.back();
            stack.pop_back();
            NodeRun& s = st(d);
            if (s.phase != Phase::Waiting && s.phase != Phase::Collecting && s.phase != Phase::Ready) continue;
            if (s.phase == Phase::Ready) scheduler_.remove(d);
            s.phase = Phase::Blocked;
            result_.blocked.push_back(graph_.at(d).node.id);
            plan_.release_reads(d);
            stack.insert(stack.end(), s.dependents.begin(), s.dependents.end());
        }
    }

    void stop_interrupted() {
        interrupted_ = true;
        stopping_ = true;
    }

    // ---- the end of a run ----------------------------------------------------------------------------

    void finish() {
        if (!stopping_) detect_stuck();
        collect_outputs();
        if (interrupted_) {
            result_.status = RunStatus::Interrupted;
            events_.interrupted(interrupted_node_ ? &graph_.at(*interrupted_node_) : nullptr, result_.executed);
            return;
        }
        if (result_.error) {
            result_.status = RunStatus::Error;
            events_.failed(*result_.error);
            return;
        }
        if (!result_.node_errors.empty()) {
            bool any_output = false;
            for (const std::string& id : outputs_) {
                int64_t idx = graph_.index_of(id);
                if (idx >= 0 && st(idx).phase == Phase::Done) any_output = true;
            }
            if (!any_output) {
                result_.status = RunStatus::Error;
                result_.error = result_.node_errors.front();
                events_.failed(*result_.error);
                return;
            }
            result_.status = RunStatus::Partial;
        } else {
            result_.status = RunStatus::Success;
        }
        events_.succeeded(result_.status == RunStatus::Partial);
    }

    /// Nodes still waiting when nothing can run: a cycle made at run time (by expansion).
    void detect_stuck() {
        std::optional<uint32_t> culprit;
        for (uint32_t i = 0; i < plan_.size(); ++i) {
            const NodeRun& s = st(i);
            if (!s.in_plan || (s.phase != Phase::Waiting && s.phase != Phase::Collecting)) continue;
            // Blame the node that made the cycle: the first whose display id is another node's.
            const GraphNode& g = graph_.at(i);
            if (g.display_id != g.node.id) {
                culprit = i;
                break;
            }
            if (!culprit) culprit = i;
        }
        if (!culprit) return;
        ExecutionError e = make_execution_error(graph_.at(*culprit), nullptr, "graph.DependencyCycleError", "Dependency cycle detected");
        e.executed = result_.executed;
        result_.error = std::move(e);
    }

    void collect_outputs() {
        for (uint32_t i = 0; i < plan_.size(); ++i) {
            const NodeRun& s = st(i);
            if (!s.kept || s.phase != Phase::Done || !s.result) continue;
            const std::string& id = graph_.at(i).node.id;
            result_.outputs[id] = s.result->outputs;
            if (s.result->ui) result_.ui[id] = *s.result->ui;
        }
    }

    SessionState& session_;
    const NodeRegistry& registry_;
    const RunOptions& options_;
    std::shared_ptr<PreparedRun> prepared_;  // kept alive for the run: the graph base and prompt live in it
    const std::vector<std::string>& outputs_;
    DynamicGraph graph_;
    RunEvents events_;
    CancelToken& cancel_;
    RunContext run_;
    RunResult result_;
    bool capture_all_ = false;

    RunKeys keys_;
    RunPlan plan_;
    Scheduler scheduler_;
    std::deque<uint32_t> collect_, aliases_;
    bool stopping_ = false;
    bool interrupted_ = false;
    std::optional<uint32_t> interrupted_node_;
};

}  // namespace

RunResult execute_workflow(SessionState& session, std::shared_ptr<PreparedRun> prepared, const RunOptions& options,
                           const std::string& prompt_id, const EventCallback& on_event, CancelToken& cancel) {
    Executor executor(session, std::move(prepared), options, prompt_id, on_event, cancel);
    return executor.run();
}

}  // namespace weft::runtime
