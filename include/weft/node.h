// include/weft/node.h — how a node is written: a schema plus functions, registered by value.
//
// The built-in nodes and an application's own nodes are written the same way:
//
//   weft::NodeDefinition def{weft::NodeSchema("Add")
//                                .category("math")
//                                .required(weft::Input::integer("a"))
//                                .required(weft::Input::integer("b"))
//                                .output("INT")};
//   def.execute = [](weft::NodeContext& ctx) {
//       ctx.set_output(0, ctx.input("a").as_int() + ctx.input("b").as_int());
//   };
//   registry.add(std::move(def));
//
// Thread safety: a NodeContext belongs to one node call on one thread. The functions of a
// NodeDefinition may be called from several threads at once for different node calls.
#pragma once

#include <weft/error.h>
#include <weft/folders.h>
#include <weft/precision.h>
#include <weft/schema.h>
#include <weft/value.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace weft {

class Workflow;
struct WorkflowNode;

/// The node-facing side of one call. Inputs are looked up by name.
class NodeContext {
public:
    virtual ~NodeContext() = default;

    /// The node's (possibly compound) execution id: "7", "12:3", "5.0.0.loop".
    virtual const std::string& node_id() const = 0;
    /// The id shown to users (the expanding node's id for ephemeral nodes, unless overridden).
    virtual const std::string& display_node_id() const = 0;
    virtual const std::string& class_type() const = 0;
    /// Which call of a list-mapped node this is (0-based).
    virtual size_t call_index() const = 0;

    /// True when the input has a value in this call (constants, defaults, available links). In
    /// check_lazy and fingerprint, a linked input that has not been computed yet is absent.
    virtual bool has(std::string_view name) const = 0;
    /// The input's value (the default when unset and declared with one); throws
    /// weft::Error(required_input_missing) naming the node and input when absent.
    virtual const Value& input(std::string_view name) const = 0;
    /// All values of an input for INPUT_IS_LIST nodes (one element for other nodes).
    virtual const List& input_list(std::string_view name) const = 0;
    /// Names of every input that has a value, declared or not (undeclared links are passed on).
    virtual std::vector<std::string> input_names() const = 0;
    /// True when the input is connected by a link in the workflow (whether computed yet or not).
    virtual bool is_linked(std::string_view name) const = 0;

    // Typed shorthands that throw a weft::Error naming node and input on a kind mismatch.
    int64_t get_int(std::string_view name) const;
    double get_float(std::string_view name) const;
    bool get_bool(std::string_view name) const;
    const std::string& get_string(std::string_view name) const;
    const Tensor& get_tensor(std::string_view name) const;
    const Latent& get_latent(std::string_view name) const;
    template <class T> std::shared_ptr<const T> get_object(std::string_view name) const { return input(name).as_object<T>(); }

    /// Sets output `slot` for this call.
    virtual void set_output(size_t slot, Value v) = 0;
    /// Sets an OUTPUT_IS_LIST output: the items are concatenated across list-mapped calls.
    virtual void set_output_list(size_t slot, List items) = 0;
    /// UI output (ComfyUI's {"ui": {...}}): e.g. {"images": [{filename, subfolder, type}]}.
    /// Lists under the same key are concatenated across list-mapped calls.
    virtual void set_ui(Dict ui) = 0;
    /// Replaces this call's result by a subgraph that runs next. Node ids in `graph` are local:
    /// the executor prefixes them with "<node_id>.<call_index>." (links between them follow).
    /// `results[i]` becomes output i: a Value, or a Link into `graph`.
    virtual void expand(const Workflow& graph, List results) = 0;

    /// Reports progress (value of max) and throws weft::Cancelled when the run was cancelled.
    virtual void progress(double value, double max) = 0;
    /// Throws weft::Cancelled when the run was cancelled.
    virtual void check_cancelled() const = 0;
    /// True when the run wants preview images (RunOptions::previews): skip making them otherwise.
    virtual bool previews_enabled() const { return false; }
    /// Publishes a preview of this node's work, U8 [H, W, 3] RGB, as an EventType::Preview event.
    /// Does nothing when previews are off.
    virtual void preview(const Tensor& rgb_u8_hwc) {}

    virtual const Folders& folders() const = 0;
    /// The session's network precision (SessionOptions::precision), for loader nodes.
    virtual Precision precision() const { return Precision::F32; }
    /// The API-format JSON of the workflow being run (ComfyUI's hidden PROMPT).
    virtual const std::string& prompt_json() const = 0;
    /// Extra metadata to embed in saved files (ComfyUI's EXTRA_PNGINFO), key -> JSON text.
    virtual const std::map<std::string, std::string>& extra_pnginfo() const = 0;
    /// The graph as it stands now, original plus expanded nodes (ComfyUI's DYNPROMPT).
    virtual const WorkflowNode* find_node(std::string_view id) const = 0;
    virtual std::vector<std::string> node_ids() const = 0;

    /// State kept per (node id, class) across runs of a session (ComfyUI's node instances).
    template <class T> T& instance_state() {
        std::shared_ptr<void>& slot = instance_slot();
        if (!slot) slot = std::make_shared<T>();
        return *static_cast<T*>(slot.get());
    }

protected:
    virtual std::shared_ptr<void>& instance_slot() = 0;
};

/// Arguments of a node's custom validation (ComfyUI's VALIDATE_INPUTS).
struct ValidateArgs {
    const Dict& constants;                                 // constant inputs; linked ones absent
    const std::map<std::string, std::string>& input_types; // linked input -> received type
    const Folders& folders;
};

struct NodeDefinition {
    NodeSchema schema;

    /// Runs one call. Required.
    std::function<void(NodeContext&)> execute;

    /// Lazy inputs: returns the names of lazy inputs the node needs now. Called before execute,
    /// and again after the requested inputs arrive, until it requests nothing new. Without it,
    /// every linked lazy input is requested.
    std::function<std::vector<std::string>(NodeContext&)> check_lazy;

    /// ComfyUI's IS_CHANGED: a fingerprint of outside state (a file's content), computed before
    /// the run from constant inputs only. Equal to last time: cache hit possible. Return
    /// `std::nullopt` for "always changed".
    std::function<std::optional<Value>(NodeContext&)> fingerprint;

    /// Custom validation: returns an error text, or nothing when valid.
    std::function<std::optional<std::string>(const ValidateArgs&)> validate;
    /// Inputs whose built-in range/combo checks `validate` replaces (ComfyUI: the parameters of
    /// VALIDATE_INPUTS).
    std::set<std::string> validate_handles;
    /// `validate` replaces the built-in checks of every input (ComfyUI: **kwargs).
    bool validate_handles_all = false;
    /// `validate` receives link types and replaces the built-in link type check (ComfyUI:
    /// an `input_types` parameter).
    bool validate_takes_input_types = false;
};

}  // namespace weft
