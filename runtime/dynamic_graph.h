// runtime/dynamic_graph.h — the graph of one run: the validated workflow plus the nodes that node
// expansion adds while it runs (ComfyUI's DynamicPrompt).
//
// The validated workflow's nodes live in an immutable GraphBase that the Session keeps and shares
// between runs of the same workflow; nodes added by expansion go to a per-run overlay (a deque, so
// references stay valid while nodes are added). Workers read the graph (NodeContext::find_node)
// while the scheduler adds nodes, so overlay access goes through a shared mutex.
#pragma once

#include <weft/workflow.h>

#include <deque>
#include <memory>
#include <optional>
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

/// The nodes of a validated workflow, indexed; immutable once built.
struct GraphBase {
    explicit GraphBase(const Workflow& original);
    const Workflow& view;  // the workflow itself (for key computation)
    std::vector<GraphNode> nodes;
    std::unordered_map<std::string, size_t> index;
};

class DynamicGraph {
public:
    /// `base` must outlive the graph (the Session keeps it with the validated workflow).
    explicit DynamicGraph(std::shared_ptr<const GraphBase> base);

    /// Index of node `id`, or -1.
    int64_t index_of(std::string_view id) const;
    const GraphNode& at(size_t index) const { return index < base_size_ ? base_->nodes[index] : added_[index - base_size_]; }
    size_t size() const;
    size_t base_size() const { return base_size_; }
    /// Adds a node; returns its index. Throws weft::Error for a duplicate id.
    size_t add(GraphNode node);
    /// A Workflow view of every node (for key computation); copied from the base on first add().
    const Workflow& as_workflow() const { return view_ ? *view_ : base_->view; }

    // Thread-safe lookups for node code.
    const WorkflowNode* find(std::string_view id) const;
    std::vector<std::string> ids() const;

private:
    std::shared_ptr<const GraphBase> base_;
    size_t base_size_ = 0;
    mutable std::shared_mutex mutex_;  // guards added_ growth and index_
    std::deque<GraphNode> added_;
    std::unordered_map<std::string, size_t> index_;  // added nodes only
    std::optional<Workflow> view_;  // base + added, once something was added; scheduler thread only
};

}  // namespace weft::runtime
