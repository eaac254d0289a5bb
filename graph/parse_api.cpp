// API-format JSON -> Workflow (see parse_api.h for the representation of ComfyUI's quirks).
#include "graph/parse_api.h"

#include "core/json_value.h"

#include <weft/error.h>

#include <cmath>
#include <limits>

namespace weft::graph {

namespace {

using json = nlohmann::ordered_json;

Error node_error(const std::string& id, std::string message) {
    return std::move(Error(ErrorCode::InvalidPrompt, std::move(message), "Node ID '#" + id + "'").at_node(id));
}

std::string link_node_id(const json& e) {
    if (e.is_string()) return e.get<std::string>();
    if (e.is_number_integer() || e.is_number_unsigned()) return e.dump();
    return e.dump();  // anything else: its JSON text, which names no node
}

int link_slot(const json& e) {
    if (e.is_number_integer()) {
        int64_t v = e.get<int64_t>();
        return v < 0 || v > std::numeric_limits<int>::max() ? -1 : static_cast<int>(v);
    }
    if (e.is_number_unsigned()) return -1;  // too large to be a slot
    if (e.is_number_float()) {
        double d = e.get<double>();
        if (std::isfinite(d) && d == std::trunc(d) && d >= 0 && d <= std::numeric_limits<int>::max()) return static_cast<int>(d);
    }
    return -1;
}

}  // namespace

Workflow parse_api_json(const json& root, std::string_view origin) {
    const json* prompt = &root;
    // The POST /prompt body: {"prompt": {...}, "client_id": ...}. A node whose id is "prompt" has a class_type.
    if (root.is_object()) {
        auto it = root.find("prompt");
        if (it != root.end() && it->is_object() && !it->contains("class_type")) prompt = &*it;
    }
    if (!prompt->is_object())
        throw Error(ErrorCode::InvalidPrompt, "A workflow in API format must be a JSON object of node id -> node",
                    "in " + std::string(origin));

    Workflow wf;
    for (auto it = prompt->begin(); it != prompt->end(); ++it) {
        const std::string& id = it.key();
        const json& node = it.value();
        if (!node.is_object()) throw node_error(id, "Node must be a JSON object with class_type and inputs");
        auto ct = node.find("class_type");
        if (ct == node.end() || !ct->is_string())
            throw node_error(id, "Cannot execute because a node is missing the class_type property.");
        WorkflowNode& n = wf.add(id, ct->get<std::string>());

        if (auto meta = node.find("_meta"); meta != node.end() && meta->is_object()) {
            if (auto t = meta->find("title"); t != meta->end() && t->is_string()) n.title = t->get<std::string>();
        }

        auto ins = node.find("inputs");
        if (ins == node.end() || ins->is_null()) continue;
        if (!ins->is_object()) throw node_error(id, "Node inputs must be a JSON object");
        n.inputs.reserve(ins->size());
        for (auto in = ins->begin(); in != ins->end(); ++in) {
            const std::string& name = in.key();
            const json& v = in.value();
            if (v.is_array()) {
                if (v.size() != 2)
                    throw std::move(Error(ErrorCode::InvalidPrompt, "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                                          "Node ID '#" + id + "', input '" + name + "'")
                                        .at_node(id)
                                        .at_input(name));
                n.inputs.emplace_back(name, Value(Link{link_node_id(v[0]), link_slot(v[1])}));
            } else if (v.is_object() && v.contains("__value__")) {
                n.inputs.emplace_back(name, value_from_json_node(v["__value__"]));
            } else {
                n.inputs.emplace_back(name, value_from_json_node(v));
            }
        }
    }
    return wf;
}

}  // namespace weft::graph
