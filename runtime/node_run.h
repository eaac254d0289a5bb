// runtime/node_run.h — the per-run state of one node, shared by the parts of the executor (plan,
// scheduler, expansion, events). Only the scheduler thread touches it.
#pragma once

#include "graph/cache_key.h"
#include "runtime/cache.h"
#include "runtime/node_call.h"

#include <weft/node.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

namespace weft::runtime {

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

struct NodeRun {
    const NodeDefinition* def = nullptr;
    graph::CacheKey key;
    bool key_unique = false;      // never reusable: do not store in the cache
    bool cache_checked = false;
    bool cached = false;
    bool root = false;            // an output this run must produce
    bool kept = false;            // the run returns its outputs (root or captured): never freed early
    bool in_plan = false;
    std::optional<uint32_t> alias_of;  // an identical node (same key) of this run computes it
    Phase phase = Phase::Idle;
    int waiting_on = 0;
    std::vector<uint32_t> dependents;
    std::unordered_set<std::string> requested_lazy;
    std::shared_ptr<const CacheEntry> result;  // outputs and UI once Done; shared with the cache
    std::vector<CallOutput> pending_calls;  // expansion: per-call results to resolve
    /// Free at last use: consumers registered on this node's result that have not finished, and
    /// the producers this node registered on (released when it finishes, fails or is blocked).
    uint32_t readers = 0;
    std::vector<uint32_t> reads;
    double seconds = 0;
};

}  // namespace weft::runtime
