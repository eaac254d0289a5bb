// runtime/node_call.h — NodeContext for one call of one node: its inputs, its results.
#pragma once

#include "runtime/cancel_token.h"
#include "runtime/dynamic_graph.h"
#include "runtime/event_sink.h"

#include <weft/node.h>
#include <weft/session_resources.h>
#include <weft/workflow.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace weft::runtime {

/// What every node call of one run shares. Read-only while nodes run (prompt_json is built once).
struct RunContext {
    const DynamicGraph* graph = nullptr;
    const Folders* folders = nullptr;
    Precision precision = Precision::F32;
    const Workflow* prompt = nullptr;  // the validated workflow, for PROMPT
    const std::map<std::string, std::string>* extra_pnginfo = nullptr;
    CancelToken* cancel = nullptr;
    EventSink* events = nullptr;
    SessionResources* resources = nullptr;  // the Session's: current (core/resource_scope.h) during node calls
    bool previews = false;  // RunOptions::previews, and someone listens to events
    /// Session-owned instance state of (node id, class); the returned slot stays valid.
    std::function<std::shared_ptr<void>&(const std::string&, const std::string&)> instance_slot;

    const std::string& prompt_json() const;

private:
    mutable std::once_flag prompt_once_;
    mutable std::string prompt_json_;
};

/// The inputs of a node as the scheduler gathered them: every available input as a list (a
/// constant is a one-item list), and which inputs are linked.
struct NodeInputs {
    std::vector<std::pair<std::string, List>> values;
    std::vector<std::string> linked;

    const List* find(std::string_view name) const;
    bool is_linked(std::string_view name) const;
    /// Number of calls list mapping makes: the longest list (1 when there are no inputs).
    size_t call_count() const;
};

/// What one call produced.
struct CallOutput {
    std::vector<List> outputs;       // per slot; one item unless the output is a list output
    std::optional<Dict> ui;
    std::optional<Workflow> expansion;
    List expansion_results;
    std::optional<Blocker> blocked;  // the call did not run: an input was blocked
};

class NodeCall final : public NodeContext {
public:
    NodeCall(const RunContext& run, const GraphNode& node, const NodeDefinition& def, const NodeInputs& inputs,
             size_t call_index, CallOutput* out);

    const std::string& node_id() const override { return node_.node.id; }
    const std::string& display_node_id() const override { return node_.display_id; }
    const std::string& class_type() const override { return node_.node.class_type; }
    size_t call_index() const override { return call_index_; }

    bool has(std::string_view name) const override;
    const Value& input(std::string_view name) const override;
    const List& input_list(std::string_view name) const override;
    std::vector<std::string> input_names() const override;
    bool is_linked(std::string_view name) const override { return inputs_.is_linked(name); }

    void set_output(size_t slot, Value v) override;
    void set_output_list(size_t slot, List items) override;
    void set_ui(Dict ui) override;
    void expand(const Workflow& graph, List results) override;

    void progress(double value, double max) override;
    void check_cancelled() const override;
    bool previews_enabled() const override { return run_.previews; }
    void preview(const Tensor& rgb_u8_hwc) override;

    const Folders& folders() const override { return *run_.folders; }
    Precision precision() const override { return run_.precision; }
    const std::string& prompt_json() const override { return run_.prompt_json(); }
    const std::map<std::string, std::string>& extra_pnginfo() const override { return *run_.extra_pnginfo; }
    const WorkflowNode* find_node(std::string_view id) const override { return run_.graph->find(id); }
    std::vector<std::string> node_ids() const override { return run_.graph->ids(); }

protected:
    std::shared_ptr<void>& instance_slot() override { return run_.instance_slot(node_.node.id, node_.node.class_type); }

private:
    /// An event of `type` carrying this call's node ids and class.
    Event node_event(EventType type) const;

    void check_slot(size_t slot) const;

    const RunContext& run_;
    const GraphNode& node_;
    const NodeDefinition& def_;
    const NodeInputs& inputs_;
    size_t call_index_;
    CallOutput* out_;
    mutable std::map<std::string, List, std::less<>> single_lists_;  // input_list() for mapped calls
};

/// Renders inputs for an error report (ComfyUI's current_inputs).
std::map<std::string, std::vector<std::string>> describe_inputs(const NodeInputs& inputs);

}  // namespace weft::runtime
