// runtime/run_events.h — the events of one run, built from the graph's nodes and delivered in
// order through the run's EventSink: execution_start / cached / executing / executed / blocked /
// node errors / the run's end (error, interrupted, success). Each function does nothing (and
// builds nothing) when no one listens.
#pragma once

#include "runtime/cache.h"
#include "runtime/dynamic_graph.h"
#include "runtime/event_sink.h"

#include <weft/error.h>
#include <weft/events.h>

#include <string>
#include <vector>

namespace weft::runtime {

/// An event of `type` about node `g`: its ids (own, display, parent, real) and class.
Event node_event(EventType type, const GraphNode& g);

class RunEvents {
public:
    RunEvents(const EventCallback& callback, std::string prompt_id) : sink_(callback, std::move(prompt_id)) {}

    bool enabled() const { return sink_.enabled(); }
    /// The sink node calls report progress and previews through.
    EventSink& sink() { return sink_; }

    void started();
    void cached(std::vector<std::string> node_ids);
    void executing(const GraphNode& g);
    /// `executed` with the node's UI output, when it has one.
    void executed(const GraphNode& g, const CacheEntry* result);
    void blocked(const GraphNode& g, const std::string& message);
    /// A node failed under continue_independent.
    void node_failed(const GraphNode& g, const ExecutionError& error);
    /// The run ends with an error.
    void failed(const ExecutionError& error);
    /// The run was cancelled (at node `g` when known).
    void interrupted(const GraphNode* g, const std::vector<std::string>& executed);
    void succeeded(bool partial);

private:
    EventSink sink_;
};

}  // namespace weft::runtime
