#include "runtime/dynamic_graph.h"

#include <weft/error.h>

#include <mutex>

namespace weft::runtime {

GraphBase::GraphBase(const Workflow& original) : view(original) {
    nodes.reserve(original.size());
    index.reserve(original.size());
    for (const WorkflowNode& n : original.nodes()) {
        index.emplace(n.id, nodes.size());
        nodes.push_back(GraphNode{n, n.id, {}, n.id});
    }
}

DynamicGraph::DynamicGraph(std::shared_ptr<const GraphBase> base) : base_(std::move(base)), base_size_(base_->nodes.size()) {}

int64_t DynamicGraph::index_of(std::string_view id) const {
    const std::string key(id);
    if (auto it = base_->index.find(key); it != base_->index.end()) return static_cast<int64_t>(it->second);
    std::shared_lock lock(mutex_);
    auto it = index_.find(key);
    return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

size_t DynamicGraph::size() const {
    std::shared_lock lock(mutex_);
    return base_size_ + added_.size();
}

size_t DynamicGraph::add(GraphNode node) {
    std::unique_lock lock(mutex_);
    if (base_->index.contains(node.node.id) || index_.contains(node.node.id))
        throw Error(ErrorCode::InvalidPrompt, "node expansion produced a duplicate node id", node.node.id).at_node(node.node.id);
    const size_t idx = base_size_ + added_.size();
    index_.emplace(node.node.id, idx);
    if (!view_) view_.emplace(base_->view);
    WorkflowNode& mirror = view_->add(node.node.id, node.node.class_type);
    mirror.inputs = node.node.inputs;
    added_.push_back(std::move(node));
    return idx;
}

const WorkflowNode* DynamicGraph::find(std::string_view id) const {
    const int64_t idx = index_of(id);
    if (idx < 0) return nullptr;
    std::shared_lock lock(mutex_);
    return &at(static_cast<size_t>(idx)).node;
}

std::vector<std::string> DynamicGraph::ids() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    out.reserve(base_size_ + added_.size());
    for (const GraphNode& n : base_->nodes) out.push_back(n.node.id);
    for (const GraphNode& n : added_) out.push_back(n.node.id);
    return out;
}

}  // namespace weft::runtime
