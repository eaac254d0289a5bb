#include "runtime/node_call.h"

#include "runtime/run_events.h"

#include <weft/error.h>

#include <algorithm>

namespace weft::runtime {

const std::string& RunContext::prompt_json() const {
    std::call_once(prompt_once_, [&] { prompt_json_ = prompt ? prompt->to_json() : std::string("{}"); });
    return prompt_json_;
}

const List* NodeInputs::find(std::string_view name) const {
    for (const auto& [n, list] : values)
        if (n == name) return &list;
    return nullptr;
}

bool NodeInputs::is_linked(std::string_view name) const {
    return std::find(linked.begin(), linked.end(), name) != linked.end();
}

size_t NodeInputs::call_count() const {
    size_t n = values.empty() ? 1 : 0;
    for (const auto& [name, list] : values) n = std::max(n, list.size());
    return std::max<size_t>(n, 1);
}

NodeCall::NodeCall(const RunContext& run, const GraphNode& node, const NodeDefinition& def, const NodeInputs& inputs,
                   size_t call_index, CallOutput* out)
    : run_(run), node_(node), def_(def), inputs_(inputs), call_index_(call_index), out_(out) {
    if (out_) out_->outputs.resize(def_.schema.outputs().size());
}

bool NodeCall::has(std::string_view name) const {
    const List* list = inputs_.find(name);
    return list && !list->empty();
}

const Value& NodeCall::input(std::string_view name) const {
    if (const List* list = inputs_.find(name); list && !list->empty()) {
        if (def_.schema.is_input_list()) throw Error(ErrorCode::InvalidInputType, "node takes whole lists; use input_list()").at_node(node_.node.id).at_input(std::string(name));
        // Shorter lists repeat their last element.
        return (*list)[std::min(call_index_, list->size() - 1)];
    }
    if (const Input* spec = def_.schema.find_input(name); spec && spec->default_value) return *spec->default_value;
    throw Error(ErrorCode::RequiredInputMissing, "Required input is missing", std::string(name)).at_node(node_.node.id).at_input(std::string(name));
}

const List& NodeCall::input_list(std::string_view name) const {
    if (def_.schema.is_input_list()) {
        if (const List* list = inputs_.find(name)) return *list;
    }
    auto it = single_lists_.find(name);
    if (it == single_lists_.end()) {
        List one;
        if (has(name) || (def_.schema.find_input(name) && def_.schema.find_input(name)->default_value)) one.push_back(input(name));
        it = single_lists_.emplace(std::string(name), std::move(one)).first;
    }
    return it->second;
}

std::vector<std::string> NodeCall::input_names() const {
    std::vector<std::string> names;
    for (const auto& [n, list] : inputs_.values)
        if (!list.empty()) names.push_back(n);
    return names;
}

void NodeCall::check_slot(size_t slot) const {
    if (!out_) throw Error(ErrorCode::InvalidPrompt, "outputs cannot be set here (fingerprint or lazy check)").at_node(node_.node.id);
    if (slot >= out_->outputs.size())
        throw Error(ErrorCode::InvalidPrompt, "output slot " + std::to_string(slot) + " out of range; " + node_.node.class_type + " has " +
                                          std::to_string(out_->outputs.size()) + " outputs")
            .at_node(node_.node.id);
}

void NodeCall::set_output(size_t slot, Value v) {
    check_slot(slot);
    out_->outputs[slot] = List{std::move(v)};
}

void NodeCall::set_output_list(size_t slot, List items) {
    check_slot(slot);
    out_->outputs[slot] = std::move(items);
}

void NodeCall::set_ui(Dict ui) {
    if (!out_) throw Error(ErrorCode::InvalidPrompt, "ui cannot be set here").at_node(node_.node.id);
    out_->ui = std::move(ui);
}

void NodeCall::expand(const Workflow& graph, List results) {
    if (!out_) throw Error(ErrorCode::InvalidPrompt, "a node can only expand while executing").at_node(node_.node.id);
    if (out_->expansion) throw Error(ErrorCode::InvalidPrompt, "a node call can expand only once").at_node(node_.node.id);
    if (results.size() != def_.schema.outputs().size())
        throw Error(ErrorCode::InvalidPrompt, "expansion results must have one entry per output (" + std::to_string(def_.schema.outputs().size()) + "), got " +
                                          std::to_string(results.size()))
            .at_node(node_.node.id);
    out_->expansion = graph;
    out_->expansion_results = std::move(results);
}

Event NodeCall::node_event(EventType type) const { return runtime::node_event(type, node_); }

void NodeCall::progress(double value, double max) {
    if (run_.events && run_.events->enabled()) {
        Event e = node_event(EventType::Progress);
        e.value = value;
        e.max = max;
        run_.events->emit(std::move(e));
    }
    check_cancelled();
}

void NodeCall::preview(const Tensor& rgb_u8_hwc) {
    if (!run_.previews || !run_.events) return;
    if (rgb_u8_hwc.dtype() != DType::U8 || rgb_u8_hwc.dim() != 3 || rgb_u8_hwc.size(2) != 3)
        throw Error(ErrorCode::InvalidPreview, "a preview must be U8 [H, W, 3], got " + rgb_u8_hwc.describe()).at_node(node_.node.id);
    Event e = node_event(EventType::Preview);
    e.image = rgb_u8_hwc.contiguous();
    run_.events->emit(std::move(e));
}

void NodeCall::check_cancelled() const {
    if (run_.cancel && run_.cancel->is_cancelled()) throw Cancelled();
}

std::map<std::string, std::vector<std::string>> describe_inputs(const NodeInputs& inputs) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [name, list] : inputs.values) {
        auto& rendered = out[name];
        for (const Value& v : list) rendered.push_back(v.describe());
    }
    return out;
}

}  // namespace weft::runtime
