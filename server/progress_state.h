// server/progress_state.h — ComfyUI's `progress_state` message: every node of the running prompt
// that started, with its value/max and state (running, finished).
#pragma once

#include <weft/events.h>

#include <nlohmann/json.hpp>

#include <string>

namespace weft::server {

class ProgressState {
public:
    explicit ProgressState(std::string prompt_id) : prompt_id_(std::move(prompt_id)) {}
    /// A node started (an `executing` event).
    void start(const Event& executing);
    /// A `progress` event.
    void update(const Event& progress);
    /// The node finished; false when it was not running.
    bool finish(const std::string& node_id);
    /// Marks every running node finished (end of the run); false when none was running.
    bool finish_all();
    /// {"type": "progress_state", "data": {"prompt_id", "nodes": {...}}}.
    std::string message() const;

private:
    std::string prompt_id_;
    nlohmann::ordered_json nodes_ = nlohmann::ordered_json::object();
};

}  // namespace weft::server
