// runtime/run_plan.h — what must run for a run's outputs, and how long results live.
//
// The plan walks back from the outputs to the producers that are not cached (non-lazy links, and
// lazy links once requested), counts for each node the producers it waits on, and makes two
// identical nodes (same key) of one run execute once. Iterative: graph depth costs no stack.
//
// Free at last use: every planned node registers as a reader of each producer it may read (every
// linked input, lazy ones included; an alias reads its source; an expanding node reads the
// results it links to) and releases them when it finishes, fails or is blocked. When the cache
// keeps nothing (mode none), a result the run does not return is dropped by the run as soon as
// its last reader has released it. A dropped result that a node added later (by expansion) needs
// is computed again.
#pragma once

#include "runtime/cache.h"
#include "runtime/dynamic_graph.h"
#include "runtime/node_run.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace weft::runtime {

/// What the plan tells the executor.
class PlanListener {
public:
    virtual ~PlanListener() = default;
    /// Node `n` waits on nothing any more.
    virtual void ready(uint32_t n) = 0;
    /// Node `n` needs a node that failed.
    virtual void block(uint32_t n) = 0;
};

class RunPlan {
public:
    RunPlan(const DynamicGraph& graph, OutputCache& cache, bool free_at_last_use, PlanListener& listener)
        : graph_(graph), cache_(cache), free_at_last_use_(free_at_last_use), listener_(listener) {}

    NodeRun& node(uint32_t n) { return nodes_[n]; }
    const NodeRun& node(uint32_t n) const { return nodes_[n]; }
    std::vector<NodeRun>& nodes() { return nodes_; }
    size_t size() const { return nodes_.size(); }

    /// Loads the node's cached result once; true on a hit.
    bool resolve_cache(uint32_t n);
    /// Adds `n` and the uncached producers it needs (non-lazy and requested lazy links).
    void plan(uint32_t n);
    /// Makes `consumer` wait for the producer of `link` unless it is already available; a
    /// producer that still has to be planned goes on `stack` (plan each afterwards).
    void add_dependency(uint32_t consumer, const Link& link, std::vector<uint32_t>& stack);
    bool is_lazy(uint32_t n, const std::string& input) const;

    /// Registers `consumer` as a reader of the node `link` names.
    void add_read(uint32_t consumer, const Link& link);
    /// `n` has finished (or failed, or was blocked): it reads nothing any more.
    void release_reads(uint32_t n);
    /// Drops `n`'s result when nothing of the run needs it (mode none only).
    void drop_if_unread(uint32_t n);

private:
    void add_read(uint32_t consumer, uint32_t producer);
    /// A dropped result is needed again: the node goes back to being unplanned.
    void reopen(uint32_t n);

    const DynamicGraph& graph_;
    OutputCache& cache_;
    const bool free_at_last_use_;
    PlanListener& listener_;
    std::vector<NodeRun> nodes_;
    std::unordered_map<graph::CacheKey, uint32_t, graph::CacheKeyHash> planned_by_key_;
};

}  // namespace weft::runtime
