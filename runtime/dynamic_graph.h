// runtime/dynamic_graph.h — the graph of one run: the validated workflow plus the nodes that node
// expansion adds while it runs (ComfyUI's DynamicPrompt).
//
// Nodes are stored in a deque so references stay valid while nodes are added. Workers read it
// (NodeContext::find_node) while the scheduler adds nodes, so access goes through a shared mutex.
#pragma once

#include <weft/workflow.h>

#include <deque>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace weft::runtime {

struct GraphNode {
    WorkflowNode node;
    std::string display_id;  // what users see: the node itself, or the original it expands from
    std::string parent_id;   // the expanding node (empty for original nodes)
    std::string real_id;     // the original (non-ephemeral) node this one stems from
};

class DynamicGraph {
public:
    explicit DynamicGraph(const Workflow& original);

    /// Index of node `id`, or -1.
    int64_t index_of(std::string_view id) const;
    const GraphNode& at(size_t index) const { return nodes_[index]; }
    size_t size() const;
    /// Adds a node; returns its index. Throws weft::Error for a duplicate id.
    size_t add(GraphNode node);
    /// A Workflow view of every node (for key computation), rebuilt on demand.
    const Workflow& as_workflow() const { return view_; }

    // Thread-safe lookups for node code.
    const WorkflowNode* find(std::string_view id) const;
    std::vector<std::string> ids() const;

private:
    mutable std::shared_mutex mutex_;  // guards nodes_ growth and index_
    std::deque<GraphNode> nodes_;
    std::unordered_map<std::string, size_t> index_;
    Workflow view_;  // mirror used by compute_cache_keys; only the scheduler thread touches it
};

}  // namespace weft::runtime
