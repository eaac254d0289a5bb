// include/weft/schema.h — what a node declares about itself: inputs, outputs and policies.
//
// The schema is the single source for validation, the UI-format converter, `weft nodes` /
// GET /object_info and the executor's scheduling. It mirrors ComfyUI's INPUT_TYPES / RETURN_TYPES.
//
//   NodeSchema s("ImageScale");
//   s.display("Upscale Image").category("image/upscaling");
//   s.required(Input::type_of("image", "IMAGE"));
//   s.required(Input::combo("upscale_method", {"nearest-exact", "bilinear", "area"}));
//   s.required(Input::integer("width", 512).min(0).max(16384));
//   s.output("IMAGE");
//
// Thread safety: immutable once registered.
#pragma once

#include <weft/value.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft {

struct Folders;

/// Hidden inputs the executor fills in (ComfyUI's "hidden" section).
enum class Hidden { Prompt, DynPrompt, ExtraPngInfo, UniqueId };

/// One input of a node. Built with the static constructors and chained setters.
struct Input {
    enum class Section { Required, Optional, Hidden };

    std::string name;
    std::string type;                      // "INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "IMAGE", "*", "IMAGE,MASK", ...
    Section section = Section::Required;
    std::optional<Value> default_value;
    std::optional<Value> min_value;        // INT / FLOAT
    std::optional<Value> max_value;
    std::optional<double> step_value;      // not enforced, as in ComfyUI
    std::optional<double> round_value;     // FLOAT display rounding, not enforced
    std::vector<std::string> options;      // COMBO values
    /// COMBO values computed when asked (files in a folder); overrides `options` when set.
    std::function<std::vector<std::string>(const Folders&)> options_provider;
    bool lazy = false;
    bool force_input = false;              // a socket, never a widget
    bool raw_link = false;                 // receive the Link itself, not the value
    bool multiline = false;
    bool control_after_generate = false;   // the frontend adds a widget after this INT
    bool image_upload = false;
    std::string tooltip;
    std::string display;                   // "number", "slider", ...
    Hidden hidden_kind = Hidden::UniqueId; // for Section::Hidden

    static Input type_of(std::string name, std::string type) { Input i; i.name = std::move(name); i.type = std::move(type); return i; }
    static Input integer(std::string name, int64_t def = 0) { Input i = type_of(std::move(name), "INT"); i.default_value = Value(def); return i; }
    static Input floating(std::string name, double def = 0.0) { Input i = type_of(std::move(name), "FLOAT"); i.default_value = Value(def); return i; }
    static Input string(std::string name, std::string def = {}) { Input i = type_of(std::move(name), "STRING"); i.default_value = Value(std::move(def)); return i; }
    static Input boolean(std::string name, bool def = false) { Input i = type_of(std::move(name), "BOOLEAN"); i.default_value = Value(def); return i; }
    static Input combo(std::string name, std::vector<std::string> opts) {
        Input i = type_of(std::move(name), "COMBO");
        if (!opts.empty()) i.default_value = Value(opts.front());
        i.options = std::move(opts);
        return i;
    }
    static Input hidden(std::string name, Hidden kind) { Input i = type_of(std::move(name), ""); i.section = Section::Hidden; i.hidden_kind = kind; return i; }

    Input& def(Value v) { default_value = std::move(v); return *this; }
    Input& min(Value v) { min_value = std::move(v); return *this; }
    Input& max(Value v) { max_value = std::move(v); return *this; }
    Input& step(double v) { step_value = v; return *this; }
    Input& round(double v) { round_value = v; return *this; }
    Input& make_lazy(bool v = true) { lazy = v; return *this; }
    Input& forced_input(bool v = true) { force_input = v; return *this; }
    Input& wants_raw_link(bool v = true) { raw_link = v; return *this; }
    Input& is_multiline(bool v = true) { multiline = v; return *this; }
    Input& with_control_after_generate(bool v = true) { control_after_generate = v; return *this; }
    Input& with_image_upload(bool v = true) { image_upload = v; return *this; }
    Input& with_tooltip(std::string t) { tooltip = std::move(t); return *this; }
    Input& with_display(std::string d) { display = std::move(d); return *this; }
    Input& with_options_provider(std::function<std::vector<std::string>(const Folders&)> f) { options_provider = std::move(f); return *this; }

    bool is_combo() const { return type == "COMBO"; }
    /// True for types the frontend shows as widgets (INT, FLOAT, STRING, BOOLEAN, COMBO) unless forced to a socket.
    bool is_widget() const;
    /// Current combo values (from the provider when there is one).
    std::vector<std::string> combo_values(const Folders& folders) const;
};

struct Output {
    std::string type;
    std::string name;       // defaults to the type
    bool is_list = false;   // OUTPUT_IS_LIST
    std::string tooltip;
};

class NodeSchema {
public:
    NodeSchema() = default;
    explicit NodeSchema(std::string name) : name_(std::move(name)), display_name_(name_) {}

    NodeSchema& display(std::string v) { display_name_ = std::move(v); return *this; }
    NodeSchema& category(std::string v) { category_ = std::move(v); return *this; }
    NodeSchema& description(std::string v) { description_ = std::move(v); return *this; }
    NodeSchema& required(Input in) { in.section = Input::Section::Required; inputs_.push_back(std::move(in)); return *this; }
    NodeSchema& optional(Input in) { in.section = Input::Section::Optional; inputs_.push_back(std::move(in)); return *this; }
    NodeSchema& hidden(std::string name, Hidden kind) { inputs_.push_back(Input::hidden(std::move(name), kind)); return *this; }
    NodeSchema& output(std::string type, std::string name = {}, bool is_list = false) {
        outputs_.push_back(Output{type, name.empty() ? type : std::move(name), is_list, {}});
        return *this;
    }
    /// An output node is an execution root (SaveImage, PreviewImage, ...).
    NodeSchema& output_node(bool v = true) { output_node_ = v; return *this; }
    /// The node id becomes part of the cache key: two identical nodes run separately.
    NodeSchema& not_idempotent(bool v = true) { not_idempotent_ = v; return *this; }
    /// The node receives whole lists (INPUT_IS_LIST) instead of being called per element.
    NodeSchema& input_is_list(bool v = true) { input_is_list_ = v; return *this; }
    /// Heavy compute that uses every core itself: it never runs beside another exclusive node.
    NodeSchema& exclusive(bool v = true) { exclusive_ = v; return *this; }
    NodeSchema& deprecated(bool v = true) { deprecated_ = v; return *this; }
    NodeSchema& experimental(bool v = true) { experimental_ = v; return *this; }
    /// The python_module field of /object_info ("nodes", "comfy_extras.nodes_images", "custom_nodes.x").
    NodeSchema& module(std::string v) { module_ = std::move(v); return *this; }

    const std::string& name() const { return name_; }
    const std::string& display_name() const { return display_name_; }
    const std::string& category_name() const { return category_; }
    const std::string& description_text() const { return description_; }
    const std::vector<Input>& inputs() const { return inputs_; }
    const std::vector<Output>& outputs() const { return outputs_; }
    bool is_output_node() const { return output_node_; }
    bool is_not_idempotent() const { return not_idempotent_; }
    bool is_input_list() const { return input_is_list_; }
    bool is_exclusive() const { return exclusive_; }
    bool is_deprecated() const { return deprecated_; }
    bool is_experimental() const { return experimental_; }
    const std::string& module_name() const { return module_; }

    /// The declared input named `name` (any section), or nullptr.
    const Input* find_input(std::string_view name) const;
    /// True when a hidden input of this kind is declared.
    bool has_hidden(Hidden kind) const;

private:
    std::string name_, display_name_, category_, description_, module_ = "nodes";
    std::vector<Input> inputs_;
    std::vector<Output> outputs_;
    bool output_node_ = false, not_idempotent_ = false, input_is_list_ = false, exclusive_ = false;
    bool deprecated_ = false, experimental_ = false;
};

/// ComfyUI's link type check: equal, `*` on either side, or comma-separated sets that overlap.
bool types_compatible(std::string_view received, std::string_view declared);

}  // namespace weft
