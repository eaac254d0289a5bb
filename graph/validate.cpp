// ComfyUI's prompt validation (execution.validate_prompt / validate_inputs) as a pure function.
//
// The recursion of ComfyUI's validate_inputs is emulated with an explicit stack of frames, so a
// chain of thousands of nodes cannot overflow the C++ stack. Semantics follow current upstream:
//  - a node without a class or with an unknown class rejects the whole workflow with
//    `missing_node_type` (newer ComfyUI; 0.3.64 said `invalid_prompt`), naming node id and title;
//  - outputs = output nodes, restricted to `targets` when given;
//  - depth-first from each output through DECLARED linked inputs (required, then optional, in
//    declaration order); each node is validated once (memoised); a node reached again while its
//    own validation is still open is a `dependency_cycle` reported on every node of the cycle;
//  - a problem that Python raises as an exception inside validate_inputs (a link to a missing node,
//    an output slot that does not exist, a custom validate that throws) is reported on the node
//    where it happened: `exception_during_inner_validation` (with the input of the parent that
//    linked to it) or, for an output node itself, `exception_during_validation`.
// Deliberate differences, for clearer reports: dependent_outputs lists only the failed outputs
// that actually depend on the node (ComfyUI appends every failed output validated later), and
// the details of prompt_outputs_failed_validation join the errors of every failing node (ComfyUI
// joins only the errors raised on output nodes themselves).
#include "graph/validate.h"

#include "graph/coerce.h"
#include "graph/input_config.h"
#include "core/py_format.h"

#include <algorithm>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

namespace weft::graph {

namespace {

ErrorInfo make_error(ErrorCode code, std::string message, std::string details, Dict extra = {}) {
    return ErrorInfo{error_code_name(code), std::move(message), std::move(details), std::move(extra)};
}

bool same_error(const ErrorInfo& a, const ErrorInfo& b) {
    return a.type == b.type && a.message == b.message && a.details == b.details && a.extra_info == b.extra_info;
}

struct Result {
    bool valid = true;
    std::vector<ErrorInfo> errors;
};

// A problem Python would raise as an exception inside validate_inputs.
struct Raised {
    std::string type;     // exception_type
    std::string message;  // str(ex)
};

struct Frame {
    const WorkflowNode* node = nullptr;
    const NodeDefinition* def = nullptr;
    std::vector<const Input*> declared;  // required ∪ optional, in declaration order
    std::vector<const Value*> given;     // the node's value or link of each declared input, or null
    size_t next = 0;
    bool valid = true;
    std::vector<ErrorInfo> errors;
    std::map<std::string, std::string> received_types;
    // The linked input being recursed into (for exception_during_inner_validation on the child).
    const Input* pending_input = nullptr;
    Value pending_config;
    Link pending_link;
};

class Validator {
public:
    Validator(const Workflow& wf, const NodeRegistry& reg, const Folders& folders) : wf_(wf), reg_(reg), folders_(folders) {}

    bool validate_output(const std::string& id);  // true when the output validated
    std::unordered_map<std::string, Result> results;
    std::vector<std::string> order;  // nodes in the order they were first recorded
    std::unordered_map<std::string, std::vector<std::string>> followed;  // node -> sources it recursed into
    std::unordered_map<std::string, std::vector<std::pair<std::string, Value>>> coerced;  // node -> converted constants

private:
    Frame make_frame(const WorkflowNode& n) const;
    void step(std::vector<Frame>& stack);
    void finish(std::vector<Frame>& stack);
    void raise(std::vector<Frame>& stack, const Raised& r);
    void record(const std::string& id, Result r) {
        if (!results.count(id)) order.push_back(id);
        results[id] = std::move(r);
    }
    void check_constant(Frame& f, const Input& in, const Value& raw, const Value& config);
    void custom_validation(Frame& f);

    const Workflow& wf_;
    const NodeRegistry& reg_;
    const Folders& folders_;
    std::unordered_set<std::string> on_stack_;
    std::unordered_map<const Input*, Value> config_cache_;  // input declaration -> input_config
};

Frame Validator::make_frame(const WorkflowNode& n) const {
    Frame f;
    f.node = &n;
    f.def = reg_.find(n.class_type);
    for (const Input& in : f.def->schema.inputs())
        if (in.section == Input::Section::Required) f.declared.push_back(&in);
    for (const Input& in : f.def->schema.inputs())
        if (in.section == Input::Section::Optional) f.declared.push_back(&in);
    // Each declared input's value, looked up once: scanning the node's inputs per declared input
    // would cost O(inputs^2) on a node with thousands of them (a wide fan-in).
    f.given.reserve(f.declared.size());
    if (n.inputs.size() <= 16) {
        for (const Input* in : f.declared) f.given.push_back(n.find(in->name));
    } else {
        std::unordered_map<std::string_view, const Value*> by_name;
        by_name.reserve(n.inputs.size());
        for (const auto& [name, v] : n.inputs) by_name.emplace(name, &v);  // first of a repeated name, as find()
        for (const Input* in : f.declared) {
            auto it = by_name.find(in->name);
            f.given.push_back(it == by_name.end() ? nullptr : it->second);
        }
    }
    return f;
}

bool Validator::validate_output(const std::string& id) {
    if (auto it = results.find(id); it != results.end()) return it->second.valid;
    std::vector<Frame> stack;
    stack.push_back(make_frame(*wf_.find(id)));
    on_stack_.insert(id);
    while (!stack.empty()) step(stack);
    return results.at(id).valid;
}

// Python repr of an exception's type for extra_info.exception_type.
std::string exception_type_name(const std::exception& e) {
    if (auto* we = dynamic_cast<const Error*>(&e)) return "weft::Error(" + we->type() + ")";
    return typeid(e).name();
}

void Validator::raise(std::vector<Frame>& stack, const Raised& r) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    const std::string& id = f.node->id;
    on_stack_.erase(id);
    Result res;
    res.valid = false;
    if (stack.empty()) {
        res.errors.push_back(make_error(ErrorCode::ExceptionDuringValidation, "Exception when validating node", r.message,
                                        Dict{{"exception_type", r.type}, {"traceback", List{}}}));
    } else {
        Frame& parent = stack.back();
        res.errors.push_back(make_error(ErrorCode::ExceptionDuringInnerValidation, "Exception when validating inner node", r.message,
                                        Dict{{"input_name", parent.pending_input->name},
                                             {"input_config", parent.pending_config},
                                             {"exception_message", r.message},
                                             {"exception_type", r.type},
                                             {"traceback", List{}},
                                             {"linked_node", Value(parent.pending_link)}}));
        parent.valid = false;
    }
    record(id, std::move(res));
    coerced.erase(id);
}

void Validator::finish(std::vector<Frame>& stack) {
    Frame& f = stack.back();
    const std::string id = f.node->id;
    // A cycle found below may already have put an error on this node: join it.
    Result res;
    if (auto it = results.find(id); it != results.end()) res = std::move(it->second);
    res.valid = res.valid && f.valid && f.errors.empty();
    for (ErrorInfo& e : f.errors)
        if (std::none_of(res.errors.begin(), res.errors.end(), [&](const ErrorInfo& x) { return same_error(x, e); }))
            res.errors.push_back(std::move(e));
    bool valid = res.valid;
    record(id, std::move(res));
    on_stack_.erase(id);
    stack.pop_back();
    if (!stack.empty() && !valid) stack.back().valid = false;
}

void Validator::step(std::vector<Frame>& stack) {
    Frame& f = stack.back();
    if (f.next == f.declared.size()) {
        if (f.def->validate) {
            try {
                custom_validation(f);
            } catch (const Cancelled&) {
                throw;
            } catch (const std::exception& e) {
                raise(stack, Raised{exception_type_name(e), e.what()});
                return;
            }
        }
        finish(stack);
        return;
    }
    const Value* val = f.given[f.next];
    const Input& in = *f.declared[f.next++];
    if (!val) {
        if (in.section == Input::Section::Required)
            f.errors.push_back(make_error(ErrorCode::RequiredInputMissing, "Required input is missing", in.name, Dict{{"input_name", in.name}}));
        return;
    }
    auto cit = config_cache_.find(&in);
    if (cit == config_cache_.end())
        cit = config_cache_.emplace(&in, input_config(in, in.is_combo() ? in.combo_values(folders_) : std::vector<std::string>{})).first;
    const Value& config = cit->second;

    if (!val->is_link()) {
        check_constant(f, in, *val, config);
        return;
    }
    const Link& link = val->as_link();
    const WorkflowNode* src = wf_.find(link.node_id);
    if (!src) {
        raise(stack, Raised{"KeyError", "Node '" + link.node_id + "' linked from input '" + in.name + "' does not exist in the workflow"});
        return;
    }
    const NodeDefinition* src_def = reg_.find(src->class_type);
    const auto& outs = src_def->schema.outputs();
    if (link.slot < 0 || static_cast<size_t>(link.slot) >= outs.size()) {
        raise(stack, Raised{"IndexError", "Output slot " + std::to_string(link.slot) + " of node '" + link.node_id + "' (" +
                                              src->class_type + ") linked from input '" + in.name + "' does not exist; it has " +
                                              std::to_string(outs.size()) + " output(s)"});
        return;
    }
    const std::string& received = outs[static_cast<size_t>(link.slot)].type;
    f.received_types[in.name] = received;
    if (!f.def->validate_takes_input_types && !types_compatible(received, in.type)) {
        f.errors.push_back(make_error(ErrorCode::ReturnTypeMismatch, "Return type mismatch between linked nodes",
                                      in.name + ", received_type(" + received + ") mismatch input_type(" + in.type + ")",
                                      Dict{{"input_name", in.name},
                                           {"input_config", config},
                                           {"received_type", received},
                                           {"linked_node", *val}}));
        return;
    }
    followed[f.node->id].push_back(src->id);
    if (auto it = results.find(src->id); it != results.end()) {
        if (!it->second.valid) f.valid = false;
        return;
    }
    if (on_stack_.count(src->id)) {
        // The source is still being validated further up: a static cycle. Every node on it gets
        // the error; their own frames join their other errors when they finish.
        size_t start = 0;
        while (stack[start].node->id != src->id) ++start;
        std::vector<std::string> path;
        for (size_t i = start; i < stack.size(); ++i) path.push_back(stack[i].node->id);
        path.push_back(src->id);
        // Every node of the cycle carries these details: a very long path is shortened in the
        // middle (the full list is in extra_info.cycle_nodes) so reports stay linear in size.
        std::string details;
        const size_t head = 20, tail = 10;
        for (size_t i = 0; i < path.size(); ++i) {
            if (path.size() > head + tail + 1 && i == head) {
                details += " -> ... (" + std::to_string(path.size() - head - tail) + " more)";
                i = path.size() - tail - 1;
                continue;
            }
            if (i) details += " -> ";
            details += path[i] + " (" + wf_.find(path[i])->class_type + ")";
        }
        List cycle_list;
        for (size_t i = 0; i + 1 < path.size(); ++i) cycle_list.emplace_back(path[i]);
        const Value cycle_nodes(std::move(cycle_list));  // one shared list for every node of the cycle
        for (size_t i = 0; i + 1 < path.size(); ++i) {
            Result r;
            r.valid = false;
            r.errors.push_back(make_error(ErrorCode::DependencyCycle, "Dependency cycle detected", details,
                                          Dict{{"node_id", path[i]}, {"cycle_nodes", cycle_nodes}}));
            record(path[i], std::move(r));
        }
        f.valid = false;
        return;
    }
    f.pending_input = &in;
    f.pending_config = config;
    f.pending_link = link;
    on_stack_.insert(src->id);
    stack.push_back(make_frame(*src));  // invalidates `f`
}

void Validator::check_constant(Frame& f, const Input& in, const Value& raw, const Value& config) {
    Coerced c = coerce_constant(raw, in.type);
    if (c.error) {
        f.errors.push_back(make_error(ErrorCode::InvalidInputType, "Failed to convert an input value to a " + in.type + " value",
                                      in.name + ", " + python_str(raw) + ", " + *c.error,
                                      Dict{{"input_name", in.name},
                                           {"input_config", config},
                                           {"received_value", raw},
                                           {"exception_message", *c.error}}));
        return;
    }
    const Value& val = c.value;
    if (!(val == raw) || val.kind() != raw.kind()) coerced[f.node->id].emplace_back(in.name, val);

    const NodeDefinition& def = *f.def;
    if (def.validate && (def.validate_handles_all || def.validate_handles.count(in.name))) return;
    if (in.min_value) {
        auto cmp = compare_numbers(val, *in.min_value);
        if (cmp && *cmp < 0) {
            f.errors.push_back(make_error(ErrorCode::ValueSmallerThanMin,
                                          "Value " + python_str(val) + " smaller than min of " + python_str(*in.min_value), in.name,
                                          Dict{{"input_name", in.name}, {"input_config", config}, {"received_value", val}}));
            return;
        }
    }
    if (in.max_value) {
        auto cmp = compare_numbers(val, *in.max_value);
        if (cmp && *cmp > 0) {
            f.errors.push_back(make_error(ErrorCode::ValueBiggerThanMax,
                                          "Value " + python_str(val) + " bigger than max of " + python_str(*in.max_value), in.name,
                                          Dict{{"input_name", in.name}, {"input_config", config}, {"received_value", val}}));
            return;
        }
    }
    if (in.is_combo()) {
        const List& options = config.as_list()[0].as_list();
        if (std::find(options.begin(), options.end(), val) == options.end()) {
            // Gigantic lists (scanned model files) are not sent back.
            bool big = options.size() > 20;
            std::string list_info = big ? "(list of length " + std::to_string(options.size()) + ")" : python_repr(Value(options));
            f.errors.push_back(make_error(ErrorCode::ValueNotInList, "Value not in list",
                                          in.name + ": " + python_repr(val) + " not in " + list_info,
                                          Dict{{"input_name", in.name}, {"input_config", big ? Value() : config}, {"received_value", val}}));
        }
    }
}

void Validator::custom_validation(Frame& f) {
    const NodeDefinition& def = *f.def;
    // The constants it asked for (already coerced); linked inputs are absent.
    Dict constants;
    std::vector<std::string> asked;  // ComfyUI reports one error per input passed to the function
    std::unordered_map<std::string, Value> converted;
    if (auto it = coerced.find(f.node->id); it != coerced.end())
        for (const auto& [n, v] : it->second) converted[n] = v;
    for (size_t k = 0; k < f.declared.size(); ++k) {
        const Input* in = f.declared[k];
        if (!def.validate_handles_all && !def.validate_handles.count(in->name)) continue;
        const Value* v = f.given[k];
        if (!v) continue;
        asked.push_back(in->name);
        if (v->is_link()) continue;
        auto c = converted.find(in->name);
        constants[in->name] = c != converted.end() ? c->second : *v;
    }
    if (def.validate_takes_input_types) asked.push_back("input_types");
    std::optional<std::string> failure = def.validate(ValidateArgs{constants, f.received_types, folders_});
    if (!failure) return;
    if (asked.empty()) {
        f.errors.push_back(make_error(ErrorCode::CustomValidationFailed, "Custom validation failed for node", *failure));
        return;
    }
    for (const std::string& x : asked)
        f.errors.push_back(make_error(ErrorCode::CustomValidationFailed, "Custom validation failed for node",
                                      failure->empty() ? x : x + " - " + *failure, Dict{{"input_name", x}}));
}

}  // namespace

Validated validate_workflow(const Workflow& wf, const NodeRegistry& registry, const Folders& folders,
                            const std::optional<std::vector<std::string>>& targets) {
    Validated out;
    out.coerced = wf;
    ValidationReport& report = out.report;

    // 1. Every node must name a registered class.
    for (const WorkflowNode& n : wf.nodes()) {
        if (!n.class_type.empty() && registry.find(n.class_type)) continue;
        std::string title = n.title.empty() ? (n.class_type.empty() ? "ID #" + n.id : n.class_type) : n.title;
        std::string message = n.class_type.empty()
                                  ? "Node '" + title + "' has no class_type. The workflow may be corrupted or a custom node is missing."
                                  : "Node '" + title + "' not found. The custom node may not be installed.";
        report.error = make_error(ErrorCode::MissingNodeType, message, "Node ID '#" + n.id + "'",
                                  Dict{{"node_id", n.id},
                                       {"class_type", n.class_type.empty() ? Value() : Value(n.class_type)},
                                       {"node_title", Value(title)}});
        return out;
    }

    // 2. Outputs: output nodes, restricted to the targets (non-output targets are ignored).
    std::vector<std::string> outputs;
    std::unordered_set<std::string> wanted;
    if (targets) wanted.insert(targets->begin(), targets->end());
    for (const WorkflowNode& n : wf.nodes())
        if (registry.find(n.class_type)->schema.is_output_node() && (!targets || wanted.count(n.id))) outputs.push_back(n.id);
    if (outputs.empty()) {
        report.error = make_error(ErrorCode::PromptNoOutputs, "Prompt has no outputs", "");
        return out;
    }

    // 3. Validate each output and what it needs.
    Validator v(wf, registry, folders);
    std::vector<std::string> failed;
    for (const std::string& o : outputs) {
        if (v.validate_output(o)) report.good_outputs.push_back(o);
        else failed.push_back(o);
    }

    // Node errors: every invalid node with errors of its own, with the failed outputs that need it.
    for (const std::string& o : failed) {
        std::vector<std::string> todo{o};
        std::unordered_set<std::string> seen{o};
        while (!todo.empty()) {
            std::string id = std::move(todo.back());
            todo.pop_back();
            const Result& r = v.results.at(id);
            if (!r.valid && !r.errors.empty()) {
                NodeErrors& ne = report.node_errors[id];
                ne.dependent_outputs.push_back(o);
            }
            if (auto it = v.followed.find(id); it != v.followed.end())
                for (const std::string& s : it->second)
                    if (v.results.count(s) && seen.insert(s).second) todo.push_back(s);
        }
    }
    for (auto& [id, ne] : report.node_errors) {
        ne.class_type = wf.find(id)->class_type;
        ne.errors = std::move(v.results.at(id).errors);
    }

    if (report.good_outputs.empty()) {
        // One line per distinct error (every node of a cycle carries the same one).
        struct PairHash {
            size_t operator()(const std::pair<std::string_view, std::string_view>& p) const {
                return std::hash<std::string_view>()(p.first) * 31 + std::hash<std::string_view>()(p.second);
            }
        };
        std::unordered_set<std::pair<std::string_view, std::string_view>, PairHash> lines;
        std::string details;
        for (const std::string& id : v.order) {
            auto it = report.node_errors.find(id);
            if (it == report.node_errors.end()) continue;
            for (const ErrorInfo& e : it->second.errors) {
                if (!lines.insert({e.message, e.details}).second) continue;
                if (!details.empty()) details += '\n';
                details += e.message + ": " + e.details;
            }
        }
        report.error = make_error(ErrorCode::PromptOutputsFailedValidation, "Prompt outputs failed validation", details);
    }

    // The workflow to run: constants converted, undeclared constants dropped (ComfyUI never passes
    // them); undeclared links stay, the executor passes them on.
    for (size_t i = 0; i < wf.nodes().size(); ++i) {
        const WorkflowNode& n = wf.nodes()[i];
        WorkflowNode* c = out.coerced.find(n.id);
        const NodeSchema& schema = registry.find(n.class_type)->schema;
        std::erase_if(c->inputs, [&](const auto& p) { return !p.second.is_link() && !schema.find_input(p.first); });
        if (auto it = v.coerced.find(n.id); it != v.coerced.end())
            for (auto& [name, val] : it->second) c->set(name, val);
    }
    return out;
}

}  // namespace weft::graph
