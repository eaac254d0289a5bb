// runtime/expansion.h — node expansion: the subgraphs an expanding node's calls return become
// nodes of the run's graph ("<node>.<call>.<local id>", links between them rewritten to follow),
// and the calls' results are rewritten to name the added nodes.
#pragma once

#include "runtime/dynamic_graph.h"
#include "runtime/node_call.h"

#include <weft/registry.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace weft::runtime {

/// The nodes one expansion added: index and definition of each, in order.
using AddedNodes = std::vector<std::pair<uint32_t, const NodeDefinition*>>;

/// Adds the subgraph of every expanding call of node `parent` to `graph` and rewrites the calls'
/// expansion results to the added ids. Throws weft::Error (at the parent) for an unknown node
/// type, before adding anything.
AddedNodes add_expansion(DynamicGraph& graph, const NodeRegistry& registry, uint32_t parent, std::vector<CallOutput>& calls);

}  // namespace weft::runtime
