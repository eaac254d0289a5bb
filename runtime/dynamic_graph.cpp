#include "runtime/dynamic_graph.h"

#include <weft/error.h>

#include <mutex>

namespace weft::runtime {

DynamicGraph::DynamicGraph(const Workflow& original) {
    for (const WorkflowNode& n : original.nodes()) add(GraphNode{n, n.id, {}, n.id});
}

int64_t DynamicGraph::index_of(std::string_view id) const {
    std::shared_lock lock(mutex_);
    auto it = index_.find(std::string(id));
    return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

size_t DynamicGraph::size() const {
    std::shared_lock lock(mutex_);
    return nodes_.size();
}

size_t DynamicGraph::add(GraphNode node) {
    std::unique_lock lock(mutex_);
    if (index_.contains(node.node.id))
        throw Error("invalid_prompt", "node expansion produced a duplicate node id", node.node.id).at_node(node.node.id);
    size_t idx = nodes_.size();
    index_.emplace(node.node.id, idx);
    WorkflowNode& mirror = view_.add(node.node.id, node.node.class_type);
    mirror.inputs = node.node.inputs;
    nodes_.push_back(std::move(node));
    return idx;
}

const WorkflowNode* DynamicGraph::find(std::string_view id) const {
    std::shared_lock lock(mutex_);
    auto it = index_.find(std::string(id));
    return it == index_.end() ? nullptr : &nodes_[it->second].node;
}

std::vector<std::string> DynamicGraph::ids() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    out.reserve(nodes_.size());
    for (const GraphNode& n : nodes_) out.push_back(n.node.id);
    return out;
}

}  // namespace weft::runtime
