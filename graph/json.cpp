// ComfyUI's JSON shapes: validation errors, WebSocket events, /object_info (see include/weft/json.h).
#include <weft/json.h>

#include "graph/input_config.h"
#include "core/json_value.h"

#include <cmath>

namespace weft {

namespace {

using J = nlohmann::ordered_json;

std::string dump(const J& j, int indent) { return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace); }

J error_info_json(const ErrorInfo& e) {
    J j = J::object();
    j["type"] = e.type;
    j["message"] = e.message;
    j["details"] = e.details;
    J extra = J::object();
    for (const auto& [k, v] : e.extra_info) extra[k] = graph::value_to_ordered_json(v);
    j["extra_info"] = std::move(extra);
    return j;
}

J strings(const std::vector<std::string>& v) {
    J a = J::array();
    for (const auto& s : v) a.push_back(s);
    return a;
}

J id_or_null(const std::string& id) { return id.empty() ? J(nullptr) : J(id); }

// Progress values are usually whole steps: send them as integers, as ComfyUI does.
J number(double v) {
    if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9.0e15) return J(static_cast<int64_t>(v));
    return J(v);
}

J timestamp(double ms) { return J(static_cast<int64_t>(ms)); }

// Fields of an execution_error message after prompt_id (ComfyUI's order).
void add_execution_error_fields(J& j, const ExecutionError& e) {
    j["node_id"] = e.node_id;
    j["node_type"] = e.node_type;
    j["executed"] = strings(e.executed);
    j["exception_message"] = e.exception_message;
    j["exception_type"] = e.exception_type;
    j["traceback"] = strings(e.traceback);
    J inputs = J::object();
    for (const auto& [k, v] : e.current_inputs) inputs[k] = strings(v);
    j["current_inputs"] = std::move(inputs);
    // ComfyUI lists the nodes whose outputs are held at the time; those are the nodes that ran.
    j["current_outputs"] = strings(e.executed);
}

J node_info(const NodeSchema& s, const Folders& folders) {
    J required = J::object(), optional = J::object(), hidden = J::object();
    J order_required = J::array(), order_optional = J::array(), order_hidden = J::array();
    for (const Input& in : s.inputs()) {
        switch (in.section) {
            case Input::Section::Hidden:
                hidden[in.name] = graph::hidden_type_name(in.hidden_kind);
                order_hidden.push_back(in.name);
                break;
            case Input::Section::Required:
            case Input::Section::Optional: {
                std::vector<std::string> values;
                if (in.is_combo()) values = in.combo_values(folders);
                J cfg = graph::value_to_ordered_json(graph::input_config(in, values));
                if (in.section == Input::Section::Required) {
                    required[in.name] = std::move(cfg);
                    order_required.push_back(in.name);
                } else {
                    optional[in.name] = std::move(cfg);
                    order_optional.push_back(in.name);
                }
                break;
            }
        }
    }
    J info = J::object();
    info["input"] = J{{"required", std::move(required)}, {"optional", std::move(optional)}, {"hidden", std::move(hidden)}};
    info["input_order"] =
        J{{"required", std::move(order_required)}, {"optional", std::move(order_optional)}, {"hidden", std::move(order_hidden)}};
    J out = J::array(), is_list = J::array(), names = J::array(), tips = J::array();
    bool any_tip = false;
    for (const Output& o : s.outputs()) {
        out.push_back(o.type);
        is_list.push_back(o.is_list);
        names.push_back(o.name);
        tips.push_back(o.tooltip);
        any_tip = any_tip || !o.tooltip.empty();
    }
    info["output"] = std::move(out);
    info["output_is_list"] = std::move(is_list);
    info["output_name"] = std::move(names);
    info["name"] = s.name();
    info["display_name"] = s.display_name();
    info["description"] = s.description_text();
    info["python_module"] = s.module_name();
    info["category"] = s.category_name();
    info["output_node"] = s.is_output_node();
    if (any_tip) info["output_tooltips"] = std::move(tips);
    info["deprecated"] = s.is_deprecated();
    info["experimental"] = s.is_experimental();
    return info;
}

}  // namespace

std::string validation_to_json(const ValidationReport& report, int indent) {
    J j = J::object();
    if (report.error) j["error"] = error_info_json(*report.error);
    J ne = J::object();
    // Appended (node_errors is a map: ids are unique); operator[] would scan every earlier member.
    J::object_t& members = ne.get_ref<J::object_t&>();
    members.reserve(report.node_errors.size());
    for (const auto& [id, n] : report.node_errors) {
        J errors = J::array();
        for (const ErrorInfo& e : n.errors) errors.push_back(error_info_json(e));
        members.emplace_back(id, J{{"errors", std::move(errors)}, {"dependent_outputs", strings(n.dependent_outputs)}, {"class_type", n.class_type}});
    }
    j["node_errors"] = std::move(ne);
    return dump(j, indent);
}

std::string execution_error_to_json(const ExecutionError& error, int indent) {
    J j = J::object();
    add_execution_error_fields(j, error);
    return dump(j, indent);
}

std::string event_to_json(const Event& e, int indent) {
    J d = J::object();
    switch (e.type) {
        case EventType::ExecutionStart:
            d["prompt_id"] = e.prompt_id;
            d["timestamp"] = timestamp(e.timestamp);
            break;
        case EventType::ExecutionCached:
            d["nodes"] = strings(e.nodes);
            d["prompt_id"] = e.prompt_id;
            d["timestamp"] = timestamp(e.timestamp);
            break;
        case EventType::Executing:
            // node null (with prompt_id) is the end-of-run marker clients wait for.
            d["node"] = id_or_null(e.node_id);
            d["display_node"] = e.node_id.empty() ? J(nullptr) : J(e.display_node_id.empty() ? e.node_id : e.display_node_id);
            d["prompt_id"] = e.prompt_id;
            break;
        case EventType::Progress:
            d["value"] = number(e.value);
            d["max"] = number(e.max);
            d["prompt_id"] = e.prompt_id;
            d["node"] = id_or_null(e.node_id);
            break;
        case EventType::Executed:
            d["node"] = e.node_id;
            d["display_node"] = e.display_node_id.empty() ? e.node_id : e.display_node_id;
            d["output"] = e.has_output ? graph::value_to_ordered_json(Value(e.output)) : J(nullptr);
            d["prompt_id"] = e.prompt_id;
            break;
        case EventType::ExecutionError:
        case EventType::NodeError: {
            d["prompt_id"] = e.prompt_id;
            ExecutionError err = e.error;
            if (err.node_id.empty()) err.node_id = e.node_id;
            if (err.node_type.empty()) err.node_type = e.node_type;
            add_execution_error_fields(d, err);
            d["timestamp"] = timestamp(e.timestamp);
            break;
        }
        case EventType::ExecutionBlocked: {
            // Sent as execution_error, without a timestamp, as ComfyUI does for a blocker message.
            d["prompt_id"] = e.prompt_id;
            d["node_id"] = e.node_id;
            d["node_type"] = e.node_type.empty() ? e.error.node_type : e.node_type;
            d["executed"] = strings(e.error.executed);
            d["exception_message"] = "Execution Blocked: " + e.message;
            d["exception_type"] = "ExecutionBlocked";
            d["traceback"] = J::array();
            d["current_inputs"] = J::array();
            d["current_outputs"] = J::array();
            break;
        }
        case EventType::ExecutionInterrupted:
            d["prompt_id"] = e.prompt_id;
            d["node_id"] = e.node_id.empty() ? e.error.node_id : e.node_id;
            d["node_type"] = e.node_type.empty() ? e.error.node_type : e.node_type;
            d["executed"] = strings(e.error.executed);
            d["timestamp"] = timestamp(e.timestamp);
            break;
        case EventType::ExecutionSuccess:
            d["prompt_id"] = e.prompt_id;
            d["timestamp"] = timestamp(e.timestamp);
            // Newer ComfyUI (continue_independent) adds the completion status.
            if (!e.status.empty()) d["completion_status"] = e.status;
            break;
        case EventType::Preview:
            // Not a ComfyUI message (the server sends the image as a binary frame): a description.
            d["node"] = e.node_id;
            d["display_node"] = e.display_node_id.empty() ? e.node_id : e.display_node_id;
            d["prompt_id"] = e.prompt_id;
            d["width"] = e.image.defined() ? e.image.size(1) : 0;
            d["height"] = e.image.defined() ? e.image.size(0) : 0;
            break;
    }
    J j = J::object();
    j["type"] = event_name(e.type);
    j["data"] = std::move(d);
    return dump(j, indent);
}

std::string value_to_json(const Value& value, int indent) { return dump(graph::value_to_ordered_json(value), indent); }

Value value_from_json(std::string_view text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(ErrorCode::InvalidJson, "Invalid JSON", e.what());
    }
    return graph::value_from_json_node(j);
}

std::string object_info_json(const NodeRegistry& registry, const Folders& folders, std::string_view only, int indent) {
    J root = J::object();
    if (!only.empty()) {
        if (const NodeDefinition* def = registry.find(only)) root[std::string(only)] = node_info(def->schema, folders);
        return dump(root, indent);
    }
    for (const std::string& name : registry.names()) root[name] = node_info(registry.find(name)->schema, folders);
    return dump(root, indent);
}

}  // namespace weft
