// include/weft/events.h — what a run reports while it goes, in ComfyUI's event vocabulary.
//
//   session.run(wf, options, [](const weft::Event& e) {
//       if (e.type == weft::EventType::Progress) std::printf("%s %g/%g\n", e.node_id.c_str(), e.value, e.max);
//   });
//
// Thread safety: callbacks are called one at a time (never concurrently) in event order, from the
// executor's threads. A callback must not call back into the session.
#pragma once

#include <weft/error.h>
#include <weft/value.h>

#include <functional>
#include <string>
#include <vector>

namespace weft {

enum class EventType {
    ExecutionStart,        // data: prompt_id, timestamp
    ExecutionCached,       // nodes: ids with a cache hit
    Executing,             // node_id, display_node_id: a node starts (again, after a lazy request)
    Progress,              // node_id, value, max
    Executed,              // node_id, output: the node's UI output (also for cached output nodes)
    ExecutionError,        // error: the failure; ends the run (fail_fast)
    NodeError,             // error: a failure under continue_independent; the run goes on
    ExecutionBlocked,      // node_id, message: an ExecutionBlocker with a message reached a node
    ExecutionInterrupted,  // node_id: cancelled
    ExecutionSuccess,      // the run finished (completion_status in `status`)
    Preview,               // node_id, image: a node's preview of its work (a sampler's step), only
                           // when RunOptions::previews is on; ComfyUI sends it as a binary frame
};

/// ComfyUI's message name ("execution_start", "executing", ...; "preview" for Preview).
const char* event_name(EventType t);

struct Event {
    EventType type;
    std::string prompt_id;
    std::string node_id;            // empty for run-level events
    std::string display_node_id;
    std::string parent_node_id;     // the expanding node, for ephemeral nodes
    std::string real_node_id;       // the original node an ephemeral node belongs to
    std::string node_type;
    double value = 0, max = 0;      // Progress
    Dict output;                    // Executed: UI output
    bool has_output = false;        // Executed: false when the node has no UI output (null)
    std::vector<std::string> nodes; // ExecutionCached
    std::string message;            // ExecutionBlocked
    std::string status;             // ExecutionSuccess: "success" or "partial_success"
    ExecutionError error;           // ExecutionError / NodeError / ExecutionInterrupted
    double timestamp = 0;           // milliseconds since the epoch
    Tensor image;                   // Preview: U8 [H, W, 3] RGB, contiguous
};

using EventCallback = std::function<void(const Event&)>;

}  // namespace weft
