// core/names.cpp — the names of the public event types (ComfyUI's message names).
#include <weft/error.h>
#include <weft/events.h>


namespace weft {

const char* event_name(EventType t) {
    switch (t) {
        case EventType::ExecutionStart: return "execution_start";
        case EventType::ExecutionCached: return "execution_cached";
        case EventType::Executing: return "executing";
        case EventType::Progress: return "progress";
        case EventType::Executed: return "executed";
        case EventType::ExecutionError: return "execution_error";
        case EventType::NodeError: return "execution_node_error";
        // ComfyUI reports a blocker with a message as an execution_error message (the run goes on).
        case EventType::ExecutionBlocked: return "execution_error";
        case EventType::ExecutionInterrupted: return "execution_interrupted";
        case EventType::ExecutionSuccess: return "execution_success";
        case EventType::Preview: return "preview";
    }
    return "unknown";
}

}  // namespace weft
