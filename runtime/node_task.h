// runtime/node_task.h — one task of the scheduler: a node's lazy-input check, its list-mapped
// calls and the errors they raise, run on an arena worker (or inline). It reads only the run's
// shared context and the inputs gathered for it, and hands its result back as a TaskResult.
#pragma once

#include "runtime/dynamic_graph.h"
#include "runtime/node_call.h"

#include <weft/error.h>
#include <weft/node.h>

#include <cstdint>
#include <string>
#include <vector>

namespace weft::runtime {

/// What a task hands back to the scheduler thread.
struct TaskResult {
    enum class Kind { Done, NeedLazy, Failed, Cancelled } kind = Kind::Done;
    uint32_t node = 0;
    std::vector<CallOutput> calls;
    std::vector<std::string> lazy_requests;
    ExecutionError error;
    double seconds = 0;
};

/// An ExecutionError of node `g` (with its rendered inputs when given).
ExecutionError make_execution_error(const GraphNode& g, const NodeInputs* inputs, std::string type, std::string message);

/// The ExecutionError of a weft::Error that escaped node `g`. The executor attributes it: an error
/// that names no node is reported as raised at `g` (its execution id), so node bodies need not
/// call at_node(ctx.node_id()); an error that names a node keeps it.
ExecutionError node_error(const GraphNode& g, const NodeInputs* inputs, const Error& e);

/// Runs node `n` (`g`, `def`) on `inputs`: asks for missing lazy inputs first, then makes one call
/// per list-mapped item (blocked calls are recorded, not run). Never throws.
TaskResult run_node_task(const RunContext& run, uint32_t n, const GraphNode& g, const NodeDefinition& def, const NodeInputs& inputs);

}  // namespace weft::runtime
