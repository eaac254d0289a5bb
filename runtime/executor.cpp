#include "runtime/executor.h"

#include "graph/cache_key.h"
#include "runtime/dynamic_graph.h"
#include "runtime/event_sink.h"
#include "runtime/node_call.h"

#include <weft/error.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <unordered_set>

namespace weft::runtime {
namespace {

using Clock = std::chrono::steady_clock;

enum class Phase : uint8_t {
    Idle,        // not needed (yet)
    Waiting,     // needed; waiting for `waiting_on` producers
    Ready,       // in a ready queue
    Running,     // a task runs it
    Collecting,  // expanded: waiting for its subgraph's results
    Done,        // outputs available (computed or from the cache)
    Failed,
    Blocked,     // something it needs failed (continue_independent)
};

/// Per-run state of one node. Only the scheduler thread touches it.
struct NodeRun {
    const NodeDefinition* def = nullptr;
    graph::CacheKey key;
    bool key_unique = false;      // never reusable: do not store in the cache
    bool cache_checked = false;
    bool cached = false;
    bool root = false;            // an output this run must produce
    bool in_plan = false;
    std::optional<uint32_t> alias_of;  // an identical node (same key) of this run computes it
    Phase phase = Phase::Idle;
    int waiting_on = 0;
    std::vector<uint32_t> dependents;
    std::unordered_set<std::string> requested_lazy;
    std::shared_ptr<const CacheEntry> result;  // outputs and UI once Done; shared with the cache
    std::vector<CallOutput> pending_calls;  // expansion: per-call results to resolve
    double seconds = 0;
};

/// What a task hands back to the scheduler.
struct TaskResult {
    enum class Kind { Done, NeedLazy, Failed, Cancelled } kind = Kind::Done;
    uint32_t node = 0;
    std::vector<CallOutput> calls;
    std::vector<std::string> lazy_requests;
    ExecutionError error;
    double seconds = 0;
};

ExecutionError make_error(const GraphNode& g, const NodeInputs* inputs, std::string type, std::string message) {
    ExecutionError e;
    e.node_id = g.display_id;
    e.display_node_id = g.display_id;
    e.node_type = g.node.class_type;
    e.exception_type = std::move(type);
    e.exception_message = std::move(message);
    if (inputs) e.current_inputs = describe_inputs(*inputs);
    return e;
}

class Executor {
public:
    Executor(SessionState& session, std::shared_ptr<PreparedRun> prepared, const RunOptions& options, const std::string& prompt_id,
             const EventCallback& on_event, CancelToken& cancel)
        : session_(session), registry_(*session.registry), options_(options), prepared_(std::move(prepared)),
          outputs_(prepared_->validated.report.good_outputs), graph_(prepared_->base), events_(on_event, prompt_id), cancel_(cancel) {
        result_.prompt_id = prompt_id;
        run_.graph = &graph_;
        run_.folders = &session.options.folders;
        run_.precision = session.options.precision;
        run_.prompt = &prepared_->validated.coerced;
        run_.extra_pnginfo = &options.extra_pnginfo;
        run_.cancel = &cancel;
        run_.events = &events_;
        run_.previews = options.previews && events_.enabled();
        run_.instance_slot = [this](const std::string& id, const std::string& cls) -> std::shared_ptr<void>& {
            return session_.instances.slot(id, cls);
        };
        capture_all_ = std::find(options.capture.begin(), options.capture.end(), "*") != options.capture.end();
    }

    RunResult run() {
        auto start = Clock::now();
        emit_run_event(EventType::ExecutionStart);
        setup();
        loop();
        finish();
        result_.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return std::move(result_);
    }

private:
    // ---- setup: fingerprints, keys, cache lookups, the initial plan -------------------------

    void setup() {
        const size_t n = graph_.size();
        states_.resize(n);
        for (size_t i = 0; i < n; ++i) states_[i].def = prepared_->defs[i];
        if (prepared_->keys_ready) {
            for (size_t i = 0; i < n; ++i) states_[i].key = prepared_->keys[i];
            session_.cache.begin_run(prepared_->key_set);
        } else {
            std::vector<std::string> ids = graph_.ids();
            for (size_t i = 0; i < n; ++i) compute_fingerprint(i);
            compute_keys(ids);
            std::unordered_set<graph::CacheKey, graph::CacheKeyHash> current;
            for (const auto& s : states_) current.insert(s.key);
            session_.cache.begin_run(current);
            if (!prepared_->any_fingerprint) {
                // Without fingerprints the keys depend on the workflow alone: keep them for a repeat.
                prepared_->keys.reserve(n);
                for (const auto& s : states_) prepared_->keys.push_back(s.key);
                prepared_->key_set = std::move(current);
                prepared_->keys_ready = true;
            }
        }

        std::vector<std::string> cached_ids;
        for (size_t i = 0; i < states_.size(); ++i)
            if (resolve_cache(i)) cached_ids.push_back(graph_.at(i).node.id);
        result_.cached = cached_ids;
        if (events_.enabled()) {
            Event e{EventType::ExecutionCached};
            e.nodes = std::move(cached_ids);
            events_.emit(std::move(e));
        }

        for (const std::string& id : outputs_) {
            int64_t idx = graph_.index_of(id);
            if (idx < 0) continue;
            states_[idx].root = true;
            plan(static_cast<uint32_t>(idx));
            // A cached output node is still "staged": it re-sends its UI, without `executing`.
            if (states_[idx].cached) emit_executed(static_cast<uint32_t>(idx));
        }
    }

    void compute_fingerprint(size_t idx) {
        const NodeRun& s = states_[idx];
        if (!s.def || !s.def->fingerprint) return;
        const GraphNode& g = graph_.at(idx);
        NodeInputs constants;
        for (const auto& [name, v] : g.node.inputs) {
            if (v.is_link()) constants.linked.push_back(name);
            else constants.values.emplace_back(name, List{v});
        }
        graph::Fingerprint fp;
        try {
            NodeCall ctx(run_, g, *s.def, constants, 0, nullptr);
            fp.value = s.def->fingerprint(ctx);
            fp.always_changed = !fp.value.has_value();
        } catch (...) {
            fp.always_changed = true;  // as ComfyUI: a failing IS_CHANGED means "changed"
        }
        fingerprints_[g.node.id] = std::move(fp);
    }

    void compute_keys(const std::vector<std::string>& ids) {
        graph::compute_cache_keys(
            graph_.as_workflow(), registry_,
            [this](const std::string& id) -> const graph::Fingerprint* {
                auto it = fingerprints_.find(id);
                return it == fingerprints_.end() ? nullptr : &it->second;
            },
            ids, keys_);
        for (const std::string& id : ids) {
            int64_t idx = graph_.index_of(id);
            auto it = keys_.find(id);
            if (idx < 0 || it == keys_.end()) continue;
            states_[idx].key = it->second;
            auto fp = fingerprints_.find(id);
            states_[idx].key_unique = fp != fingerprints_.end() && fp->second.always_changed;
        }
    }

    /// Loads the node's cached result once; true on a hit.
    bool resolve_cache(size_t idx) {
        NodeRun& s = states_[idx];
        if (s.cache_checked) return s.cached;
        s.cache_checked = true;
        if (s.key_unique || !s.def) return false;
        if (auto entry = session_.cache.get(s.key)) {
            s.result = std::move(entry);
            s.cached = true;
            s.phase = Phase::Done;
        }
        return s.cached;
    }

    // ---- planning: what must run for the roots ----------------------------------------------

    /// Adds `idx` and the uncached producers it needs (non-lazy and requested lazy links).
    void plan(uint32_t idx) {
        std::vector<uint32_t> stack{idx};
        while (!stack.empty()) {
            uint32_t n = stack.back();
            stack.pop_back();
            NodeRun& s = states_[n];
            if (s.in_plan) continue;
            s.in_plan = true;
            if (resolve_cache(n)) continue;  // a hit: its producers are not needed
            if (s.phase != Phase::Idle) continue;
            s.phase = Phase::Waiting;
            // Two identical nodes in one run execute once: the second waits for the first.
            if (!s.key_unique) {
                auto [it, first] = planned_by_key_.try_emplace(s.key, n);
                if (!first) {
                    s.alias_of = it->second;
                    s.waiting_on = 1;
                    states_[it->second].dependents.push_back(n);
                    continue;
                }
            }
            const GraphNode& g = graph_.at(n);
            for (const auto& [name, v] : g.node.inputs) {
                if (!v.is_link()) continue;
                if (is_lazy(n, name) && !s.requested_lazy.contains(name)) continue;
                add_dependency(n, v.as_link(), stack);
            }
            if (s.phase == Phase::Waiting && s.waiting_on == 0) make_ready(n);
        }
    }

    bool is_lazy(uint32_t n, const std::string& input) const {
        const NodeRun& s = states_[n];
        if (!s.def) return false;
        const Input* spec = s.def->schema.find_input(input);
        return spec && spec->lazy;
    }

    /// Makes `consumer` wait for the producer of `link` unless it is already available.
    void add_dependency(uint32_t consumer, const Link& link, std::vector<uint32_t>& stack) {
        int64_t src = graph_.index_of(link.node_id);
        if (src < 0) return;  // validation let it through (undeclared input): it stays absent
        NodeRun& p = states_[src];
        resolve_cache(src);
        if (p.phase == Phase::Done) return;
        if (p.phase == Phase::Failed || p.phase == Phase::Blocked) {
            // continue_independent: what needs a failed node is blocked.
            block(consumer);
            return;
        }
        states_[consumer].waiting_on++;
        p.dependents.push_back(consumer);
        if (!p.in_plan) stack.push_back(static_cast<uint32_t>(src));
    }

    void make_ready(uint32_t n) {
        NodeRun& s = states_[n];
        if (s.alias_of) {
            aliases_.push_back(n);
            return;
        }
        if (s.phase == Phase::Collecting) {
            collect_.push_back(n);
            return;
        }
        s.phase = Phase::Ready;
        const bool is_output = s.def && s.def->schema.is_output_node();
        (is_output ? ready_outputs_ : ready_).push_back(n);
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
            if (running_ == 0 && collect_.empty() && aliases_.empty() && (stopping_ || (ready_.empty() && ready_outputs_.empty()))) break;
            if (running_ == 0) continue;
            std::vector<TaskResult> done;
            {
                std::unique_lock lock(completion_mutex_);
                completion_cv_.wait(lock, [&] { return !completions_.empty(); });
                done.swap(completions_);
            }
            for (TaskResult& r : done) complete(std::move(r));
        }
    }

    bool pop_ready(uint32_t& n) {
        auto take = [&](std::deque<uint32_t>& q) {
            for (auto it = q.begin(); it != q.end(); ++it) {
                const NodeRun& s = states_[*it];
                if (s.def && s.def->schema.is_exclusive() && exclusive_running_) continue;
                n = *it;
                q.erase(it);
                return true;
            }
            return false;
        };
        // Output nodes first (ComfyUI's picker prefers them), then FIFO.
        return take(ready_outputs_) || take(ready_);
    }

    void dispatch() {
        uint32_t n;
        while (!stopping_ && pop_ready(n)) {
            if (cancel_.is_cancelled()) {
                interrupted_node_ = n;
                stop_interrupted();
                return;
            }
            NodeRun& s = states_[n];
            s.phase = Phase::Running;
            const bool exclusive = s.def->schema.is_exclusive();
            if (exclusive) exclusive_running_ = true;
            emit_node_event(EventType::Executing, n);
            auto inputs = std::make_shared<NodeInputs>(gather_inputs(n));
            ++running_;
            // Nothing else could run now: run inline and skip the hand-off to a worker.
            if (running_ == 1 && ready_.empty() && ready_outputs_.empty()) {
                complete(run_task(n, *inputs));
                continue;
            }
            session_.arena.enqueue([this, n, inputs] {
                TaskResult r = run_task(n, *inputs);
                std::lock_guard lock(completion_mutex_);
                completions_.push_back(std::move(r));
                completion_cv_.notify_one();
            });
        }
    }

    NodeInputs gather_inputs(uint32_t n) const {
        NodeInputs in;
        const GraphNode& g = graph_.at(n);
        for (const auto& [name, v] : g.node.inputs) {
            if (!v.is_link()) {
                in.values.emplace_back(name, List{v});
                continue;
            }
            in.linked.push_back(name);
            const Input* spec = states_[n].def->schema.find_input(name);
            if (spec && spec->raw_link) {
                in.values.emplace_back(name, List{v});
                continue;
            }
            int64_t src = graph_.index_of(v.as_link().node_id);
            if (src < 0 || states_[src].phase != Phase::Done) continue;  // absent (lazy, not requested)
            const auto& outs = states_[src].result->outputs;
            size_t slot = static_cast<size_t>(v.as_link().slot);
            if (slot < outs.size()) in.values.emplace_back(name, outs[slot]);
        }
        return in;
    }

    // ---- a task: lazy check, list mapping, execution (runs on a worker) -------------------------

    TaskResult run_task(uint32_t n, const NodeInputs& inputs) {
        TaskResult r;
        r.node = n;
        const GraphNode& g = graph_.at(n);
        const NodeDefinition& def = *states_[n].def;
        auto start = Clock::now();
        try {
            const bool list_mode = def.schema.is_input_list();
            const size_t calls = list_mode ? 1 : inputs.call_count();
            if (auto requests = lazy_requests(g, def, inputs, calls); !requests.empty()) {
                r.kind = TaskResult::Kind::NeedLazy;
                r.lazy_requests = std::move(requests);
                return r;
            }
            r.calls.resize(calls);
            for (size_t i = 0; i < calls; ++i) {
                if (auto blocker = blocked_by(inputs, list_mode ? std::nullopt : std::optional<size_t>(i))) {
                    r.calls[i].blocked = *blocker;
                    continue;
                }
                if (cancel_.is_cancelled()) throw Cancelled();
                NodeCall ctx(run_, g, def, inputs, i, &r.calls[i]);
                def.execute(ctx);
            }
        } catch (const Cancelled&) {
            r.kind = TaskResult::Kind::Cancelled;
        } catch (const Error& e) {
            r.kind = TaskResult::Kind::Failed;
            r.error = make_error(g, &inputs, "weft::Error(" + e.type() + ")", e.what());
        } catch (const std::exception& e) {
            r.kind = TaskResult::Kind::Failed;
            r.error = make_error(g, &inputs, "std::exception", e.what());
        } catch (...) {
            r.kind = TaskResult::Kind::Failed;
            r.error = make_error(g, &inputs, "unknown", "a node threw something that is not an exception");
        }
        r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return r;
    }

    /// Lazy inputs the node asks for that are linked but not available yet.
    std::vector<std::string> lazy_requests(const GraphNode& g, const NodeDefinition& def, const NodeInputs& inputs, size_t calls) {
        bool has_lazy_link = false;
        for (const Input& in : def.schema.inputs())
            if (in.lazy && inputs.is_linked(in.name)) has_lazy_link = true;
        if (!has_lazy_link) return {};
        std::vector<std::string> wanted;
        if (def.check_lazy) {
            for (size_t i = 0; i < calls; ++i) {
                NodeCall ctx(run_, g, def, inputs, i, nullptr);
                for (std::string& name : def.check_lazy(ctx)) wanted.push_back(std::move(name));
            }
        } else {
            for (const Input& in : def.schema.inputs())
                if (in.lazy) wanted.push_back(in.name);
        }
        std::vector<std::string> missing;
        for (const std::string& name : wanted)
            if (inputs.is_linked(name) && !inputs.find(name) && std::find(missing.begin(), missing.end(), name) == missing.end())
                missing.push_back(name);
        return missing;
    }

    /// The blocker among the inputs of call `index` (all items for whole-list calls).
    static std::optional<Blocker> blocked_by(const NodeInputs& inputs, std::optional<size_t> index) {
        for (const auto& [name, list] : inputs.values) {
            if (list.empty()) continue;
            if (index) {
                const Value& v = list[std::min(*index, list.size() - 1)];
                if (v.is_blocker()) return v.as_blocker();
            } else {
                for (const Value& v : list)
                    if (v.is_blocker()) return v.as_blocker();
            }
        }
        return std::nullopt;
    }

    // ---- completions (scheduler thread) ----------------------------------------------------------

    void complete(TaskResult r) {
        --running_;
        NodeRun& s = states_[r.node];
        s.seconds += r.seconds;
        if (s.def && s.def->schema.is_exclusive()) {
            exclusive_running_ = false;
        }
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
                if (const Value* v = g.node.find(name); v && v->is_link()) add_dependency(r.node, v->as_link(), stack);
            }
            for (uint32_t p : stack) plan(p);
            if (s.phase == Phase::Waiting && s.waiting_on == 0) make_ready(r.node);
            return;
        }
        case TaskResult::Kind::Done:
            break;
        }
        bool expanded = false;
        for (const CallOutput& c : r.calls) expanded = expanded || c.expansion.has_value();
        for (const CallOutput& c : r.calls)
            if (c.blocked && c.blocked->message) emit_blocked(r.node, *c.blocked->message);
        if (expanded) {
            try {
                start_expansion(r.node, std::move(r.calls));
            } catch (const Error& e) {
                states_[r.node].phase = Phase::Failed;  // `s` may dangle: expansion grew states_
                fail(r.node, make_error(graph_.at(r.node), nullptr, "weft::Error(" + e.type() + ")", e.what()));
            }
            return;
        }
        finish_node(r.node, std::move(r.calls));
    }

    /// Merges per-call results into the node's outputs (list mapping), caches them, wakes consumers.
    void finish_node(uint32_t n, std::vector<CallOutput> calls) {
        NodeRun& s = states_[n];
        const auto& outs = s.def->schema.outputs();
        auto entry = std::make_shared<CacheEntry>();
        entry->outputs.assign(outs.size(), List{});
        std::optional<Dict>& ui = entry->ui;
        for (CallOutput& c : calls) {
            for (size_t slot = 0; slot < outs.size(); ++slot) {
                List& dst = entry->outputs[slot];
                if (c.blocked) {
                    dst.push_back(Value(*c.blocked));
                } else if (c.expansion) {
                    append_resolved(dst, c.expansion_results[slot]);
                } else if (outs[slot].is_list) {
                    for (Value& v : c.outputs[slot]) dst.push_back(std::move(v));
                } else {
                    dst.push_back(c.outputs[slot].empty() ? Value() : std::move(c.outputs[slot].front()));
                }
            }
            if (c.ui) merge_ui(ui, std::move(*c.ui));
        }
        s.result = entry;
        s.phase = Phase::Done;
        s.pending_calls.clear();
        result_.executed.push_back(graph_.at(n).node.id);
        result_.node_seconds[graph_.at(n).node.id] = s.seconds;
        if (!s.key_unique) {
            entry->bytes = entry_bytes(entry->outputs);
            session_.cache.put(s.key, std::move(entry));
        }
        if (s.result->ui) emit_executed(n);
        wake_dependents(n);
    }

    void wake_dependents(uint32_t n) {
        for (uint32_t d : states_[n].dependents) {
            NodeRun& ds = states_[d];
            if ((ds.phase == Phase::Waiting || ds.phase == Phase::Collecting) && --ds.waiting_on == 0) make_ready(d);
        }
    }

    void append_resolved(List& dst, const Value& v) const {
        if (!v.is_link()) {
            dst.push_back(v);
            return;
        }
        const Link& link = v.as_link();
        int64_t src = graph_.index_of(link.node_id);
        if (src < 0 || states_[src].phase != Phase::Done) {
            dst.push_back(Value());
            return;
        }
        const auto& outs = states_[src].result->outputs;
        if (static_cast<size_t>(link.slot) < outs.size())
            for (const Value& item : outs[link.slot]) dst.push_back(item);
    }

    static void merge_ui(std::optional<Dict>& into, Dict add) {
        if (!into) {
            into = std::move(add);
            return;
        }
        for (auto& [key, v] : add) {
            auto it = into->find(key);
            if (it != into->end() && it->second.is_list() && v.is_list()) {
                List merged = it->second.as_list();
                for (const Value& item : v.as_list()) merged.push_back(item);
                it->second = Value(std::move(merged));
            } else {
                (*into)[key] = std::move(v);
            }
        }
    }

    // ---- node expansion ---------------------------------------------------------------------------

    void start_expansion(uint32_t n, std::vector<CallOutput> calls) {
        const GraphNode parent = graph_.at(n);  // copy: adding nodes may not move it, but be explicit
        std::vector<std::string> new_ids;
        std::vector<uint32_t> new_outputs;
        for (size_t i = 0; i < calls.size(); ++i) {
            CallOutput& c = calls[i];
            if (!c.expansion) continue;
            const std::string prefix = parent.node.id + "." + std::to_string(i) + ".";
            std::unordered_set<std::string> local;
            for (const WorkflowNode& wn : c.expansion->nodes()) local.insert(wn.id);
            auto rewrite = [&](const Value& v) -> Value {
                if (v.is_link() && local.contains(v.as_link().node_id)) return Value(Link{prefix + v.as_link().node_id, v.as_link().slot});
                return v;
            };
            for (const WorkflowNode& wn : c.expansion->nodes()) {
                const NodeDefinition* def = registry_.find(wn.class_type);
                if (!def)
                    throw Error("invalid_prompt", "node expansion uses unknown node type '" + wn.class_type + "'").at_node(parent.node.id);
                GraphNode g;
                g.node.id = prefix + wn.id;
                g.node.class_type = wn.class_type;
                g.node.title = wn.title;
                for (const auto& [name, v] : wn.inputs) g.node.inputs.emplace_back(name, rewrite(v));
                g.display_id = wn.display_id ? *wn.display_id : parent.display_id;
                g.parent_id = parent.node.id;
                g.real_id = parent.real_id;
                size_t idx = graph_.add(std::move(g));
                states_.resize(graph_.size());
                states_[idx].def = def;
                new_ids.push_back(graph_.at(idx).node.id);
                if (def->schema.is_output_node()) new_outputs.push_back(static_cast<uint32_t>(idx));
            }
            for (Value& v : c.expansion_results) v = rewrite(v);
        }
        for (const std::string& id : new_ids) compute_fingerprint(static_cast<size_t>(graph_.index_of(id)));
        if (keys_.empty())  // keys came from the prepared run: give the key computation the known ones
            for (size_t i = 0; i < graph_.base_size(); ++i) keys_.emplace(graph_.at(i).node.id, states_[i].key);
        compute_keys(new_ids);

        NodeRun& s = states_[n];
        s.phase = Phase::Collecting;
        std::vector<uint32_t> stack;
        for (const CallOutput& c : calls)
            if (c.expansion)
                for (const Value& v : c.expansion_results)
                    if (v.is_link()) add_dependency(n, v.as_link(), stack);
        s.pending_calls = std::move(calls);
        for (uint32_t p : stack) plan(p);
        for (uint32_t o : new_outputs) {
            states_[o].root = true;
            plan(o);
        }
        if (s.phase == Phase::Collecting && s.waiting_on == 0) collect_.push_back(n);
    }

    /// The identical node finished: take its result as a cache hit would (no `executing`).
    void finish_alias(uint32_t n) {
        NodeRun& s = states_[n];
        const NodeRun& source = states_[*s.alias_of];
        if (s.phase != Phase::Waiting || source.phase != Phase::Done) return;
        s.result = source.result;
        s.phase = Phase::Done;
        if (s.root) emit_executed(n);
        wake_dependents(n);
    }

    void finish_expansion(uint32_t n) {
        NodeRun& s = states_[n];
        if (s.phase != Phase::Collecting) return;
        finish_node(n, std::move(s.pending_calls));
    }

    // ---- failure, blocking, interruption ------------------------------------------------------------

    void fail(uint32_t n, ExecutionError error) {
        error.executed = result_.executed;
        if (options_.failure_policy == FailurePolicy::ContinueIndependent) {
            if (events_.enabled()) {
                Event e{EventType::NodeError};
                fill_node_fields(e, n);
                e.error = error;
                events_.emit(std::move(e));
            }
            result_.node_errors.push_back(std::move(error));
            block_dependents(n);
            return;
        }
        if (!result_.error) result_.error = std::move(error);
        stopping_ = true;
    }

    void block(uint32_t n) {
        NodeRun& s = states_[n];
        if (s.phase == Phase::Blocked || s.phase == Phase::Done || s.phase == Phase::Failed) return;
        s.phase = Phase::Blocked;
        result_.blocked.push_back(graph_.at(n).node.id);
        block_dependents(n);
    }

    void block_dependents(uint32_t n) {
        std::vector<uint32_t> stack(states_[n].dependents.begin(), states_[n].dependents.end());
        while (!stack.empty()) {
            uint32_t d = stack.back();
            stack.pop_back();
            NodeRun& s = states_[d];
            if (s.phase != Phase::Waiting && s.phase != Phase::Collecting && s.phase != Phase::Ready) continue;
            if (s.phase == Phase::Ready) {
                std::erase(ready_, d);
                std::erase(ready_outputs_, d);
            }
            s.phase = Phase::Blocked;
            result_.blocked.push_back(graph_.at(d).node.id);
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
            if (events_.enabled()) {
                Event e{EventType::ExecutionInterrupted};
                if (interrupted_node_) fill_node_fields(e, *interrupted_node_);
                e.error.executed = result_.executed;
                if (interrupted_node_) {
                    e.error.node_id = e.display_node_id;
                    e.error.node_type = e.node_type;
                }
                events_.emit(std::move(e));
            }
            return;
        }
        if (result_.error) {
            result_.status = RunStatus::Error;
            emit_error(*result_.error);
            return;
        }
        if (!result_.node_errors.empty()) {
            bool any_output = false;
            for (const std::string& id : outputs_) {
                int64_t idx = graph_.index_of(id);
                if (idx >= 0 && states_[idx].phase == Phase::Done) any_output = true;
            }
            if (!any_output) {
                result_.status = RunStatus::Error;
                result_.error = result_.node_errors.front();
                emit_error(*result_.error);
                return;
            }
            result_.status = RunStatus::Partial;
        } else {
            result_.status = RunStatus::Success;
        }
        if (events_.enabled()) {
            Event e{EventType::ExecutionSuccess};
            e.status = result_.status == RunStatus::Partial ? "partial_success" : "success";
            events_.emit(std::move(e));
        }
    }

    /// Nodes still waiting when nothing can run: a cycle made at run time (by expansion).
    void detect_stuck() {
        std::optional<uint32_t> culprit;
        for (uint32_t i = 0; i < states_.size(); ++i) {
            const NodeRun& s = states_[i];
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
        const GraphNode& g = graph_.at(*culprit);
        ExecutionError e = make_error(g, nullptr, "graph.DependencyCycleError", "Dependency cycle detected");
        e.executed = result_.executed;
        result_.error = std::move(e);
    }

    void collect_outputs() {
        auto keep = [&](uint32_t i) {
            const NodeRun& s = states_[i];
            if (s.phase != Phase::Done) return;
            const std::string& id = graph_.at(i).node.id;
            result_.outputs[id] = s.result->outputs;
            if (s.result->ui) result_.ui[id] = *s.result->ui;
        };
        for (uint32_t i = 0; i < states_.size(); ++i) {
            const std::string& id = graph_.at(i).node.id;
            const bool wanted = capture_all_ || states_[i].root ||
                                std::find(options_.capture.begin(), options_.capture.end(), id) != options_.capture.end();
            if (wanted) keep(i);
        }
    }

    // ---- events ----------------------------------------------------------------------------------------

    void fill_node_fields(Event& e, uint32_t n) const {
        const GraphNode& g = graph_.at(n);
        e.node_id = g.node.id;
        e.display_node_id = g.display_id;
        e.parent_node_id = g.parent_id;
        e.real_node_id = g.real_id;
        e.node_type = g.node.class_type;
    }

    void emit_run_event(EventType t) {
        if (events_.enabled()) events_.emit(Event{t});
    }

    void emit_node_event(EventType t, uint32_t n) {
        if (!events_.enabled()) return;
        Event e{t};
        fill_node_fields(e, n);
        events_.emit(std::move(e));
    }

    void emit_executed(uint32_t n) {
        if (!events_.enabled()) return;
        Event e{EventType::Executed};
        fill_node_fields(e, n);
        if (states_[n].result && states_[n].result->ui) {
            e.output = *states_[n].result->ui;
            e.has_output = true;
        }
        events_.emit(std::move(e));
    }

    void emit_blocked(uint32_t n, const std::string& message) {
        if (!events_.enabled()) return;
        Event e{EventType::ExecutionBlocked};
        fill_node_fields(e, n);
        e.message = message;
        e.error.node_id = e.display_node_id;
        e.error.node_type = e.node_type;
        e.error.exception_type = "ExecutionBlocked";
        e.error.exception_message = message;
        events_.emit(std::move(e));
    }

    void emit_error(const ExecutionError& error) {
        if (!events_.enabled()) return;
        Event e{EventType::ExecutionError};
        e.node_id = error.node_id;
        e.display_node_id = error.display_node_id;
        e.node_type = error.node_type;
        e.error = error;
        events_.emit(std::move(e));
    }

    SessionState& session_;
    const NodeRegistry& registry_;
    const RunOptions& options_;
    std::shared_ptr<PreparedRun> prepared_;  // kept alive for the run: the graph base and prompt live in it
    const std::vector<std::string>& outputs_;
    DynamicGraph graph_;
    EventSink events_;
    CancelToken& cancel_;
    RunContext run_;
    RunResult result_;
    bool capture_all_ = false;

    std::vector<NodeRun> states_;
    std::unordered_map<std::string, graph::Fingerprint> fingerprints_;
    std::unordered_map<std::string, graph::CacheKey> keys_;
    std::deque<uint32_t> ready_, ready_outputs_, collect_, aliases_;
    std::unordered_map<graph::CacheKey, uint32_t, graph::CacheKeyHash> planned_by_key_;
    int running_ = 0;
    bool exclusive_running_ = false;
    bool stopping_ = false;
    bool interrupted_ = false;
    std::optional<uint32_t> interrupted_node_;

    std::mutex completion_mutex_;  // guards completions_
    std::condition_variable completion_cv_;
    std::vector<TaskResult> completions_;
};

}  // namespace

RunResult execute_workflow(SessionState& session, std::shared_ptr<PreparedRun> prepared, const RunOptions& options,
                           const std::string& prompt_id, const EventCallback& on_event, CancelToken& cancel) {
    Executor executor(session, std::move(prepared), options, prompt_id, on_event, cancel);
    return executor.run();
}

}  // namespace weft::runtime
