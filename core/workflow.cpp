// Workflow / WorkflowNode: building, editing and writing API-format JSON. (Parsing: workflow_parse.cpp.)
#include <weft/error.h>
#include <weft/workflow.h>

#include "core/json_value.h"

#include <algorithm>

namespace weft {

WorkflowNode& WorkflowNode::set(std::string name, Value v) {
    for (auto& [n, val] : inputs)
        if (n == name) {
            val = std::move(v);
            return *this;
        }
    inputs.emplace_back(std::move(name), std::move(v));
    return *this;
}

WorkflowNode& WorkflowNode::link(std::string name, std::string from, int slot) {
    return set(std::move(name), Value(Link{std::move(from), slot}));
}

const Value* WorkflowNode::find(std::string_view name) const {
    for (const auto& [n, val] : inputs)
        if (n == name) return &val;
    return nullptr;
}

void WorkflowNode::erase(std::string_view name) {
    std::erase_if(inputs, [&](const auto& p) { return p.first == name; });
}

WorkflowNode& Workflow::add(std::string id, std::string class_type) {
    if (index_.count(id)) throw Error(ErrorCode::InvalidPrompt, "Duplicate node id", "Node ID '#" + id + "'").at_node(id);
    index_.emplace(id, nodes_.size());
    WorkflowNode& n = nodes_.emplace_back();
    n.id = std::move(id);
    n.class_type = std::move(class_type);
    return n;
}

void Workflow::remove(std::string_view id) {
    auto it = index_.find(std::string(id));
    if (it == index_.end()) return;
    const size_t pos = it->second;
    index_.erase(it);
    nodes_.erase(nodes_.begin() + static_cast<std::ptrdiff_t>(pos));
    for (size_t i = pos; i < nodes_.size(); ++i) index_[nodes_[i].id] = i;  // only the nodes after it moved
}

WorkflowNode* Workflow::find(std::string_view id) {
    auto it = index_.find(std::string(id));
    return it == index_.end() ? nullptr : &nodes_[it->second];
}

const WorkflowNode* Workflow::find(std::string_view id) const {
    auto it = index_.find(std::string(id));
    return it == index_.end() ? nullptr : &nodes_[it->second];
}

void Workflow::set_input(std::string_view node_id, std::string name, Value v) {
    WorkflowNode* n = find(node_id);
    if (!n) throw Error(ErrorCode::InvalidPrompt, "No node with id '" + std::string(node_id) + "' in the workflow").at_node(std::string(node_id));
    n->set(std::move(name), std::move(v));
}

std::string Workflow::to_json(int indent) const {
    using J = nlohmann::ordered_json;
    // Members are appended, not inserted with operator[]: ordered_json finds a key by scanning,
    // which would make a workflow of N nodes (or a node of N inputs) cost O(N^2). Node ids are
    // unique (add() checks) and so are input names (set() replaces).
    J root = J::object();
    J::object_t& members = root.get_ref<J::object_t&>();
    members.reserve(nodes_.size());
    for (const WorkflowNode& n : nodes_) {
        J inputs = J::object();
        J::object_t& in = inputs.get_ref<J::object_t&>();
        in.reserve(n.inputs.size());
        for (const auto& [name, v] : n.inputs) {
            // A bare list would read back as a link: wrap it the way the frontend does.
            if (v.is_list()) in.emplace_back(name, J{{"__value__", graph::value_to_ordered_json(v)}});
            else in.emplace_back(name, graph::value_to_ordered_json(v));
        }
        J node = J::object();
        node["inputs"] = std::move(inputs);
        node["class_type"] = n.class_type;
        if (!n.title.empty()) node["_meta"] = J{{"title", n.title}};
        members.emplace_back(n.id, std::move(node));
    }
    return root.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace weft
