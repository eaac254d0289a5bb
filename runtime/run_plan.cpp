// What must run for a run's outputs, and how long results live.
#include "runtime/run_plan.h"

namespace weft::runtime {

bool RunPlan::resolve_cache(uint32_t n) {
    NodeRun& s = nodes_[n];
    if (s.cache_checked) return s.cached;
    s.cache_checked = true;
    if (s.key_unique || !s.def) return false;
    if (auto entry = cache_.get(s.key)) {
        s.result = std::move(entry);
        s.cached = true;
        s.phase = Phase::Done;
    }
    return s.cached;
}

void RunPlan::plan(uint32_t root) {
    std::vector<uint32_t> stack{root};
    while (!stack.empty()) {
        uint32_t n = stack.back();
        stack.pop_back();
        NodeRun& s = nodes_[n];
        if (s.in_plan) continue;
        s.in_plan = true;
        if (resolve_cache(n)) continue;  // a hit: its producers are not needed
        if (s.phase != Phase::Idle) continue;
        s.phase = Phase::Waiting;
        // Two identical nodes in one run execute once: the second waits for the first.
        if (!s.key_unique) {
            auto [it, first] = planned_by_key_.try_emplace(s.key, n);
            if (!first && nodes_[it->second].phase == Phase::Done && !nodes_[it->second].result) {
                it->second = n;  // the first one's result was dropped: this one computes it
                first = true;
            }
            if (!first) {
                const uint32_t source = it->second;
                s.alias_of = source;
                add_read(n, source);
                if (nodes_[source].phase != Phase::Done) {
                    s.waiting_on = 1;
                    nodes_[source].dependents.push_back(n);
                } else {
                    listener_.ready(n);
                }
                continue;
            }
        }
        const GraphNode& g = graph_.at(n);
        for (const auto& [name, v] : g.node.inputs) {
            if (!v.is_link()) continue;
            const Input* spec = s.def ? s.def->schema.find_input(name) : nullptr;
            if (!spec || !spec->raw_link) add_read(n, v.as_link());  // a raw link is passed on, not read
            if (spec && spec->lazy && !s.requested_lazy.contains(name)) continue;
            add_dependency(n, v.as_link(), stack);
        }
        if (s.phase == Phase::Waiting && s.waiting_on == 0) listener_.ready(n);
    }
}

bool RunPlan::is_lazy(uint32_t n, const std::string& input) const {
    const NodeRun& s = nodes_[n];
    if (!s.def) return false;
    const Input* spec = s.def->schema.find_input(input);
    return spec && spec->lazy;
}

void RunPlan::add_dependency(uint32_t consumer, const Link& link, std::vector<uint32_t>& stack) {
    int64_t src = graph_.index_of(link.node_id);
    if (src < 0) return;  // validation let it through (undeclared input): it stays absent
    NodeRun& p = nodes_[src];
    resolve_cache(static_cast<uint32_t>(src));
    if (p.phase == Phase::Done && !p.result) reopen(static_cast<uint32_t>(src));
    if (p.phase == Phase::Done) return;
    if (p.phase == Phase::Failed || p.phase == Phase::Blocked) {
        // continue_independent: what needs a failed node is blocked.
        listener_.block(consumer);
        return;
    }
    nodes_[consumer].waiting_on++;
    p.dependents.push_back(consumer);
    if (!p.in_plan) stack.push_back(static_cast<uint32_t>(src));
}

void RunPlan::add_read(uint32_t consumer, const Link& link) {
    int64_t src = graph_.index_of(link.node_id);
    if (src >= 0) add_read(consumer, static_cast<uint32_t>(src));
}

void RunPlan::add_read(uint32_t consumer, uint32_t producer) {
    if (!free_at_last_use_) return;
    nodes_[producer].readers++;
    nodes_[consumer].reads.push_back(producer);
}

void RunPlan::release_reads(uint32_t n) {
    std::vector<uint32_t> reads = std::move(nodes_[n].reads);
    nodes_[n].reads.clear();
    for (uint32_t p : reads) {
        --nodes_[p].readers;
        drop_if_unread(p);
    }
}

void RunPlan::drop_if_unread(uint32_t n) {
    NodeRun& s = nodes_[n];
    if (free_at_last_use_ && s.readers == 0 && !s.kept && s.phase == Phase::Done) s.result.reset();
}

void RunPlan::reopen(uint32_t n) {
    NodeRun& s = nodes_[n];
    if (auto it = planned_by_key_.find(s.key); it != planned_by_key_.end() && it->second == n) planned_by_key_.erase(it);
    s.phase = Phase::Idle;
    s.in_plan = false;
    s.alias_of.reset();
    s.waiting_on = 0;
    s.dependents.clear();
}

}  // namespace weft::runtime
