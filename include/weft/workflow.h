// include/weft/workflow.h — a workflow: nodes with inputs that are constants or links.
//
// The model is ComfyUI's API ("prompt") format: node id -> {class_type, inputs}. Load one from a
// file or a string, or build one in code:
//
//   weft::Workflow wf;
//   wf.add("1", "EmptyImage").set("width", 64).set("height", 64);
//   wf.add("2", "ImageInvert").link("image", "1", 0);
//   wf.add("3", "SaveImage").link("images", "2", 0).set("filename_prefix", "demo");
//
//   weft::Workflow loaded = weft::Workflow::load("workflows/demo.json");
//   weft::Workflow ui = weft::Workflow::load("workflows/invert.ui.json", *weft::builtin_registry());
//
// Thread safety: a const Workflow may be read from many threads.
#pragma once

#include <weft/value.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft {

class NodeRegistry;

struct WorkflowNode {
    std::string id;
    std::string class_type;
    /// Input name -> constant Value or Link, in the order they were set.
    std::vector<std::pair<std::string, Value>> inputs;
    std::string title;                        // _meta.title when present
    std::optional<std::string> display_id;    // override for ephemeral (expanded) nodes

    /// Sets a constant (replacing an earlier value or link of that name).
    WorkflowNode& set(std::string name, Value v);
    /// Connects input `name` to output `slot` of node `from`.
    WorkflowNode& link(std::string name, std::string from, int slot = 0);
    /// The input's value or link, or nullptr.
    const Value* find(std::string_view name) const;
    void erase(std::string_view name);

    bool operator==(const WorkflowNode&) const = default;
};

class Workflow {
public:
    /// Parses a workflow, detecting the format from the content: ComfyUI's API format as JSON or
    /// YAML, or PNG bytes with a `prompt` chunk. `origin` names the source in errors. UI-format
    /// (frontend) JSON needs node schemas: use the overload taking a registry.
    /// Throws weft::Error("invalid_prompt", ...) for malformed input.
    static Workflow parse(std::string_view text, std::string_view origin = "<string>");
    /// Reads and parses a file; throws weft::Error naming the path: FileNotFound when it does not
    /// exist, InvalidFile when it cannot be read (a directory, no permission), InvalidPrompt when
    /// its content does not parse.
    static Workflow load(const std::filesystem::path& path);
    /// As above, for every format: API JSON, YAML (the API structure, links as [id, slot]), the
    /// frontend's UI JSON (converted to the API form with the node schemas of `registry`) and PNG
    /// files carrying a `prompt` (preferred) or `workflow` text chunk. The registry-less overloads
    /// read API JSON, YAML and PNG prompts, and reject UI-format input asking for a registry.
    static Workflow parse(std::string_view text, std::string_view origin, const NodeRegistry& registry);
    static Workflow load(const std::filesystem::path& path, const NodeRegistry& registry);

    /// Adds a node; throws weft::Error when the id is taken.
    WorkflowNode& add(std::string id, std::string class_type);
    /// Removes a node (links pointing at it dangle and fail validation).
    void remove(std::string_view id);

    WorkflowNode* find(std::string_view id);
    const WorkflowNode* find(std::string_view id) const;
    /// Nodes in insertion order.
    const std::vector<WorkflowNode>& nodes() const { return nodes_; }
    size_t size() const { return nodes_.size(); }
    bool empty() const { return nodes_.empty(); }

    /// Sets a constant input of an existing node (the CLI's --set); throws when the node is missing.
    void set_input(std::string_view node_id, std::string name, Value v);

    /// ComfyUI's API-format JSON (lists wrapped as {"__value__": [...]}, links as ["id", slot]).
    std::string to_json(int indent = -1) const;

    /// The frontend's UI graph (JSON) this workflow was converted from, when it was read from a
    /// UI-format file; empty otherwise. Saved outputs embed it as ComfyUI does
    /// (RunOptions::extra_pnginfo["workflow"]), so a PNG made from a UI graph opens in the UI.
    const std::string& ui_graph() const { return ui_graph_; }
    void set_ui_graph(std::string json) { ui_graph_ = std::move(json); }

    /// Same nodes, inputs and titles in the same order.
    bool operator==(const Workflow& other) const { return nodes_ == other.nodes_; }

private:
    std::vector<WorkflowNode> nodes_;
    std::unordered_map<std::string, size_t> index_;
    std::string ui_graph_;
};

}  // namespace weft
