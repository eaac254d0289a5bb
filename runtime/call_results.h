// runtime/call_results.h — one node's result from its calls: list-mapped calls concatenated per
// output slot (an OUTPUT_IS_LIST output adds all its items, others one each), blocked calls as
// blockers, expanded calls as their subgraph's results, UI outputs merged.
#pragma once

#include "runtime/cache.h"
#include "runtime/node_call.h"

#include <weft/schema.h>

#include <functional>
#include <memory>
#include <vector>

namespace weft::runtime {

/// The outputs of the node a link names, or null when that node has none (yet).
using OutputsOf = std::function<const std::vector<List>*(const Link&)>;

/// Merges `calls` (consumed) into a cache entry for a node of `schema`; expansion results that
/// are links are resolved through `outputs_of`.
std::shared_ptr<CacheEntry> merge_calls(const NodeSchema& schema, std::vector<CallOutput>& calls, const OutputsOf& outputs_of);

}  // namespace weft::runtime
