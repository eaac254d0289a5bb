#include "progress_state.h"

namespace weft::server {

void ProgressState::start(const Event& e) {
    auto& n = nodes_[e.node_id];
    n = {{"value", 0},
         {"max", 1},
         {"state", "running"},
         {"node_id", e.node_id},
         {"prompt_id", prompt_id_},
         {"display_node_id", e.display_node_id.empty() ? e.node_id : e.display_node_id},
         {"parent_node_id", e.parent_node_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.parent_node_id)},
         {"real_node_id", e.real_node_id.empty() ? e.node_id : e.real_node_id}};
}

void ProgressState::update(const Event& e) {
    if (!nodes_.contains(e.node_id)) start(e);
    auto& n = nodes_[e.node_id];
    n["value"] = e.value;
    n["max"] = e.max;
}

bool ProgressState::finish(const std::string& node_id) {
    auto it = nodes_.find(node_id);
    if (it == nodes_.end() || (*it)["state"] != "running") return false;
    (*it)["state"] = "finished";
    (*it)["value"] = (*it)["max"];
    return true;
}

bool ProgressState::finish_all() {
    bool any = false;
    for (auto& [id, n] : nodes_.items())
        if (n["state"] == "running") {
            n["state"] = "finished";
            n["value"] = n["max"];
            any = true;
        }
    return any;
}

std::string ProgressState::message() const {
    return nlohmann::ordered_json{{"type", "progress_state"}, {"data", {{"prompt_id", prompt_id_}, {"nodes", nodes_}}}}.dump();
}

}  // namespace weft::server
