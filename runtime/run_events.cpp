// The events of one run, in ComfyUI's vocabulary.
#include "runtime/run_events.h"

namespace weft::runtime {

Event node_event(EventType type, const GraphNode& g) {
    Event e{type};
    e.node_id = g.node.id;
    e.display_node_id = g.display_id;
    e.parent_node_id = g.parent_id;
    e.real_node_id = g.real_id;
    e.node_type = g.node.class_type;
    return e;
}

void RunEvents::started() {
    if (enabled()) sink_.emit(Event{EventType::ExecutionStart});
}

void RunEvents::cached(std::vector<std::string> node_ids) {
    if (!enabled()) return;
    Event e{EventType::ExecutionCached};
    e.nodes = std::move(node_ids);
    sink_.emit(std::move(e));
}

void RunEvents::executing(const GraphNode& g) {
    if (enabled()) sink_.emit(node_event(EventType::Executing, g));
}

void RunEvents::executed(const GraphNode& g, const CacheEntry* result) {
    if (!enabled()) return;
    Event e = node_event(EventType::Executed, g);
    if (result && result->ui) {
        e.output = *result->ui;
        e.has_output = true;
    }
    sink_.emit(std::move(e));
}

void RunEvents::blocked(const GraphNode& g, const std::string& message) {
    if (!enabled()) return;
    Event e = node_event(EventType::ExecutionBlocked, g);
    e.message = message;
    e.error.node_id = e.display_node_id;
    e.error.node_type = e.node_type;
    e.error.exception_type = "ExecutionBlocked";
    e.error.exception_message = message;
    sink_.emit(std::move(e));
}

void RunEvents::node_failed(const GraphNode& g, const ExecutionError& error) {
    if (!enabled()) return;
    Event e = node_event(EventType::NodeError, g);
    e.error = error;
    sink_.emit(std::move(e));
}

void RunEvents::failed(const ExecutionError& error) {
    if (!enabled()) return;
    Event e{EventType::ExecutionError};
    e.node_id = error.node_id;
    e.display_node_id = error.display_node_id;
    e.node_type = error.node_type;
    e.error = error;
    sink_.emit(std::move(e));
}

void RunEvents::interrupted(const GraphNode* g, const std::vector<std::string>& executed) {
    if (!enabled()) return;
    Event e = g ? node_event(EventType::ExecutionInterrupted, *g) : Event{EventType::ExecutionInterrupted};
    e.error.executed = executed;
    if (g) {
        e.error.node_id = e.display_node_id;
        e.error.node_type = e.node_type;
    }
    sink_.emit(std::move(e));
}

void RunEvents::succeeded(bool partial) {
    if (!enabled()) return;
    Event e{EventType::ExecutionSuccess};
    e.status = partial ? "partial_success" : "success";
    sink_.emit(std::move(e));
}

}  // namespace weft::runtime
