#include "history_entry.h"

#include <weft/json.h>

namespace weft::server {

using nlohmann::json;

json public_extra_data(const json& extra_data) {
    json out = extra_data.is_object() ? extra_data : json::object();
    out.erase("auth_token_comfy_org");
    out.erase("api_key_comfy_org");
    return out;
}

json queue_item(const QueuedPrompt& item) {
    return json::array({item.number, item.prompt_id, item.prompt, public_extra_data(item.extra_data),
                        item.outputs_to_execute.is_array() ? item.outputs_to_execute : json::array()});
}

HistoryBuilder::HistoryBuilder(const QueuedPrompt& item)
    : prompt_(queue_item(item)), outputs_(json::object()), meta_(json::object()), messages_(json::array()) {}

void HistoryBuilder::add_message(const std::string& event_json) {
    json j = json::parse(event_json, nullptr, false);
    if (j.is_object()) messages_.push_back(json::array({j.value("type", std::string()), j.value("data", json::object())}));
}

void HistoryBuilder::add_output(const Event& e) {
    if (!e.has_output) return;
    outputs_[e.node_id] = json::parse(value_to_json(Value(e.output)), nullptr, false);
    meta_[e.node_id] = {{"node_id", e.node_id},
                        {"display_node", e.display_node_id.empty() ? e.node_id : e.display_node_id},
                        {"parent_node", e.parent_node_id.empty() ? json(nullptr) : json(e.parent_node_id)},
                        {"real_node_id", e.real_node_id.empty() ? e.node_id : e.real_node_id}};
}

json HistoryBuilder::build(const RunResult& result) const {
    json outputs = outputs_, meta = meta_;
    // The result holds every output node's UI, cached ones included, whether or not events carried it.
    for (const auto& [node, ui] : result.ui) {
        if (outputs.contains(node)) continue;
        outputs[node] = json::parse(value_to_json(Value(ui)), nullptr, false);
        meta[node] = {{"node_id", node}, {"display_node", node}, {"parent_node", nullptr}, {"real_node_id", node}};
    }
    const bool ok = result.status == RunStatus::Success || result.status == RunStatus::Partial;
    return {{"prompt", prompt_},
            {"outputs", std::move(outputs)},
            {"status", {{"status_str", ok ? "success" : "error"}, {"completed", ok}, {"messages", messages_}}},
            {"meta", std::move(meta)}};
}

}  // namespace weft::server
