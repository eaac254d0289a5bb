// runtime/run_keys.h — the cache keys of a run's nodes: fingerprints (ComfyUI's IS_CHANGED, run on
// constant inputs before anything executes) and the content keys of graph/cache_key.h, extended
// as expansion adds nodes.
#pragma once

#include "graph/cache_key.h"
#include "runtime/dynamic_graph.h"
#include "runtime/node_call.h"
#include "runtime/node_run.h"

#include <weft/registry.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace weft::runtime {

class RunKeys {
public:
    RunKeys(const RunContext& run, const NodeRegistry& registry) : run_(run), registry_(registry) {}

    /// Runs the fingerprint of node `g` (when `def` has one) on its constant inputs. A failing
    /// fingerprint means "changed", as in ComfyUI.
    void fingerprint(const GraphNode& g, const NodeDefinition* def);
    /// Computes the keys of nodes `ids` of `graph` (and of their ancestors not known yet) into
    /// `nodes` (key, key_unique).
    void compute(const DynamicGraph& graph, const std::vector<std::string>& ids, std::vector<NodeRun>& nodes);
    /// Makes the base nodes' keys known (they came from the prepared run, not from compute()), so
    /// keys of nodes added later can build on them.
    void know_base(const DynamicGraph& graph, const std::vector<NodeRun>& nodes);

private:
    const RunContext& run_;
    const NodeRegistry& registry_;
    std::unordered_map<std::string, graph::Fingerprint> fingerprints_;
    std::unordered_map<std::string, graph::CacheKey> keys_;
};

}  // namespace weft::runtime
