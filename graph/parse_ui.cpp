// UI (litegraph) workflow -> API-format Workflow (see parse_ui.h for the rules).
//
// The conversion walks the graph the way the frontend's graphToPrompt does: every executable node
// (not virtual, not muted, not bypassed) is emitted with its widget values, then each linked input
// is resolved backwards through Reroutes, PrimitiveNodes, bypassed nodes and subgraph boundaries
// to a real node output or a constant.
#include "graph/parse_ui.h"

#include "core/json_value.h"

#include <weft/error.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace weft::graph {

namespace {

using json = nlohmann::json;

constexpr std::string_view kSubgraphInputNode = "-10";
constexpr std::string_view kSubgraphOutputNode = "-20";
constexpr int kMaxResolveDepth = 512;  // links followed for one input: stops reroute/bypass cycles
constexpr int kMaxSubgraphDepth = 32;  // nesting: stops a definition that contains itself

// Node and link ids are numbers in most files and strings in some ("KSampler.0").
std::string id_text(const json& j) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::isfinite(d) && d == std::trunc(d)) return std::to_string(static_cast<int64_t>(d));
    }
    return j.dump();
}

int slot_of(const json& j) {
    if (j.is_number_integer()) return static_cast<int>(j.get<int64_t>());
    if (j.is_number_float()) return static_cast<int>(j.get<double>());
    if (j.is_string()) {
        try { return std::stoi(j.get<std::string>()); } catch (...) {}
    }
    return -1;
}

std::string str_field(const json& obj, const char* key) {
    if (!obj.is_object()) return {};
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json* array_field(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it != obj.end() && it->is_array() ? &*it : nullptr;
}

int mode_of(const json& node) {
    auto it = node.find("mode");
    return it != node.end() && it->is_number() ? it->get<int>() : 0;
}

constexpr int kModeNever = 2;   // muted
constexpr int kModeBypass = 4;

bool is_frontend_only(std::string_view type) {
    return type == "Reroute" || type == "PrimitiveNode" || type == "Note" || type == "MarkdownNote";
}

// Widgets some frontend extensions append to a node beyond its schema; never sent to the backend.
size_t frontend_extra_widgets(std::string_view type) {
    if (type == "PreviewAny") return 3;  // preview_markdown, preview_text, previewMode
    return 0;
}

bool has_control_widget(const Input& in) {
    return in.control_after_generate || (in.type == "INT" && (in.name == "seed" || in.name == "noise_seed"));
}

struct UiLink {
    std::string origin;
    int origin_slot = 0;
    std::string target;
    int target_slot = 0;
    std::string type;
};

struct UiGraph {
    std::vector<const json*> ordered;                      // nodes by their "order" field
    std::unordered_map<std::string, const json*> by_id;
    std::unordered_map<std::string, UiLink> links;         // by link id
    const json* definition = nullptr;                      // the subgraph definition; null at the root
};

// One widget of a node as the frontend creates it from the schema.
struct Widget {
    std::string name;
    const Input* input = nullptr;  // null for the upload widget
    bool control = false;          // control_after_generate: in widgets_values, never in the prompt
};

std::vector<Widget> widgets_of(const NodeSchema& schema) {
    std::vector<Widget> out;
    bool upload = false;
    auto add_section = [&](Input::Section section) {
        for (const Input& in : schema.inputs()) {
            if (in.section != section || !in.is_widget()) continue;
            out.push_back({in.name, &in, false});
            if (has_control_widget(in)) out.push_back({in.name, &in, true});
            if (in.image_upload && in.name == "image" && section == Input::Section::Required) upload = true;
        }
    };
    add_section(Input::Section::Required);
    // The frontend's upload extension appends an "upload" widget to the required inputs.
    if (upload) out.push_back({"upload", nullptr, false});
    add_section(Input::Section::Optional);
    return out;
}

// The value a widget starts with in the frontend when the file holds none.
Value widget_default(const Widget& w) {
    if (!w.input) return Value("image");  // the upload widget's value
    const Input& in = *w.input;
    if (in.default_value) return *in.default_value;
    if (in.is_combo()) return in.options.empty() ? Value() : Value(in.options.front());
    if (in.type == "STRING") return Value(std::string());
    if (in.type == "BOOLEAN") return Value(false);
    double v = 0;
    if (in.min_value && in.min_value->is_number()) v = std::max(v, in.min_value->as_float());
    if (in.max_value && in.max_value->is_number()) v = std::min(v, in.max_value->as_float());
    if (in.type == "INT") return Value(static_cast<int64_t>(v));
    return Value(v);
}

std::string node_label(const std::string& id, const std::string& type) { return "#" + id + " (" + type + ")"; }

void parse_links(const json* links, UiGraph& g, std::string_view origin) {
    if (!links) return;
    for (const json& l : *links) {
        UiLink link;
        std::string id;
        if (l.is_array()) {  // schema 0.4: [id, origin_id, origin_slot, target_id, target_slot, type]
            if (l.size() < 5) throw Error(ErrorCode::InvalidPrompt, "Malformed link " + l.dump() + " in " + std::string(origin));
            id = id_text(l[0]);
            link.origin = id_text(l[1]);
            link.origin_slot = slot_of(l[2]);
            link.target = id_text(l[3]);
            link.target_slot = slot_of(l[4]);
            if (l.size() > 5 && l[5].is_string()) link.type = l[5].get<std::string>();
        } else if (l.is_object()) {  // schema 1 and subgraphs: {id, origin_id, origin_slot, ...}
            if (!l.contains("id") || !l.contains("origin_id"))
                throw Error(ErrorCode::InvalidPrompt, "Malformed link " + l.dump() + " in " + std::string(origin));
            id = id_text(l["id"]);
            link.origin = id_text(l["origin_id"]);
            link.origin_slot = l.contains("origin_slot") ? slot_of(l["origin_slot"]) : 0;
            link.target = l.contains("target_id") ? id_text(l["target_id"]) : std::string();
            link.target_slot = l.contains("target_slot") ? slot_of(l["target_slot"]) : 0;
            link.type = str_field(l, "type");
        } else if (l.is_null()) {
            continue;
        } else {
            throw Error(ErrorCode::InvalidPrompt, "Malformed link " + l.dump() + " in " + std::string(origin));
        }
        // Duplicate ids (seen in real files): the first one wins, as nodes reference one link.
        g.links.emplace(std::move(id), std::move(link));
    }
}

UiGraph build_graph(const json& obj, std::string_view origin, const json* definition) {
    UiGraph g;
    g.definition = definition;
    const json* nodes = array_field(obj, "nodes");
    if (!nodes) throw Error(ErrorCode::InvalidPrompt, "UI-format workflow without a \"nodes\" array", "in " + std::string(origin));
    for (const json& n : *nodes) {
        if (!n.is_object() || !n.contains("id"))
            throw Error(ErrorCode::InvalidPrompt, "UI-format workflow node without an id: " + n.dump().substr(0, 200), "in " + std::string(origin));
        g.ordered.push_back(&n);
        g.by_id.emplace(id_text(n["id"]), &n);
    }
    // litegraph's "order" is the execution order the frontend computed; emit in it.
    std::stable_sort(g.ordered.begin(), g.ordered.end(), [](const json* a, const json* b) {
        auto order = [](const json* n) {
            auto it = n->find("order");
            return it != n->end() && it->is_number() ? it->get<double>() : 1e18;
        };
        return order(a) < order(b);
    });
    parse_links(array_field(obj, "links"), g, origin);
    return g;
}

class Converter {
public:
    Converter(const json& root, const NodeRegistry& registry, std::string_view origin) : registry_(registry), origin_(origin) {
        root_ = build_graph(root, origin, nullptr);
        collect_definitions(root);
    }

    Workflow run() {
        Scope scope{&root_, "", nullptr, nullptr, 0};
        emit_graph(scope);
        drop_dangling_links();
        return std::move(out_);
    }

private:
    struct Scope {
        const UiGraph* graph;
        std::string prefix;   // "" at the root, "<instance id>:" inside a subgraph instance
        const Scope* parent;  // the scope holding the instance
        const json* instance; // the instance node, in parent
        int depth;
    };

    // What a linked input resolves to.
    struct Resolved {
        enum Kind { None, Linked, Constant } kind = None;
        Link link;
        Value value;
    };

    void collect_definitions(const json& obj) {
        auto defs = obj.find("definitions");
        if (defs == obj.end() || !defs->is_object()) return;
        const json* subgraphs = array_field(*defs, "subgraphs");
        if (!subgraphs) return;
        for (const json& sg : *subgraphs) {
            std::string id = str_field(sg, "id");
            if (id.empty() || subgraphs_.count(id)) continue;
            subgraphs_.emplace(id, build_graph(sg, origin_, &sg));
            collect_definitions(sg);  // definitions nested in a definition
        }
    }

    Error error_at(const std::string& id, std::string message) const {
        return std::move(Error(ErrorCode::InvalidPrompt, std::move(message), "Node ID '#" + id + "' in " + origin_).at_node(id));
    }

    void emit_graph(const Scope& s) {
        for (const json* node : s.graph->ordered) {
            const std::string type = str_field(*node, "type");
            const std::string id = s.prefix + id_text((*node)["id"]);
            const int mode = mode_of(*node);
            if (mode == kModeNever || mode == kModeBypass) continue;
            if (is_frontend_only(type)) continue;
            if (auto sg = subgraphs_.find(type); sg != subgraphs_.end()) {
                if (s.depth >= kMaxSubgraphDepth)
                    throw error_at(id, "Subgraphs nested more than " + std::to_string(kMaxSubgraphDepth) +
                                           " deep (a subgraph that contains itself?)");
                Scope inner{&sg->second, id + ":", &s, node, s.depth + 1};
                emit_graph(inner);
                continue;
            }
            const NodeDefinition* def = registry_.find(type);
            if (!def) {
                std::string title = str_field(*node, "title");
                std::string what = type.empty() ? "Node " + node_label(id, "no type") + " has no type"
                                   : type.rfind("workflow>", 0) == 0
                                       ? "Node #" + id + " is a legacy group node ('" + type + "'), which is not supported; ungroup it in the frontend"
                                       : "Node #" + id + " has unknown type '" + type + "'" +
                                             (title.empty() ? std::string() : " (title '" + title + "')") +
                                             ": the node is not available (a custom node that is not installed?)";
                Error e(ErrorCode::MissingNodeType, what, "Node ID '#" + id + "' in " + origin_);
                e.at_node(id).with_extra("class_type", Value(type));
                throw e;
            }
            emit_node(s, *node, id, type, def->schema);
        }
    }

    void emit_node(const Scope& s, const json& node, const std::string& id, const std::string& type, const NodeSchema& schema) {
        WorkflowNode& wn = out_.add(id, type);
        std::string title = str_field(node, "title");
        wn.title = title.empty() ? schema.display_name() : title;

        const std::vector<Widget> widgets = widgets_of(schema);
        auto wv = node.find("widgets_values");
        if (wv != node.end() && wv->is_object()) {
            // Some packs store widget values by name.
            for (const Widget& w : widgets) {
                if (w.control) continue;
                auto it = wv->find(w.name);
                wn.set(w.name, it != wv->end() ? value_from_json_node(*it) : widget_default(w));
            }
        } else {
            const size_t count = wv != node.end() && wv->is_array() ? wv->size() : 0;
            if (count > widgets.size() + frontend_extra_widgets(type)) {
                std::string names;
                for (const Widget& w : widgets) names += (names.empty() ? "" : ", ") + (w.control ? w.name + ".control_after_generate" : w.name);
                throw error_at(id, "Node " + node_label(id, type) + " has " + std::to_string(count) + " widget values but its type has " +
                                       std::to_string(widgets.size()) + " widgets (" + (names.empty() ? "none" : names) +
                                       "): the workflow was saved with a different version of the node");
            }
            for (size_t k = 0; k < widgets.size(); ++k) {
                if (widgets[k].control) continue;
                wn.set(widgets[k].name, k < count ? value_from_json_node((*wv)[k]) : widget_default(widgets[k]));
            }
        }

        const json* inputs = array_field(node, "inputs");
        if (!inputs) return;
        // WorkflowNode::set scans the inputs set so far: on a node with thousands of linked inputs
        // (a wide fan-in) find earlier ones through an index instead.
        std::unordered_map<std::string, size_t> index;
        const bool indexed = inputs->size() > 16;
        if (indexed)
            for (size_t k = 0; k < wn.inputs.size(); ++k) index.emplace(wn.inputs[k].first, k);
        auto set = [&](std::string name, Value v) {
            if (!indexed) {
                wn.set(std::move(name), std::move(v));
                return;
            }
            auto [it, fresh] = index.try_emplace(name, wn.inputs.size());
            if (fresh) wn.inputs.emplace_back(std::move(name), std::move(v));
            else wn.inputs[it->second].second = std::move(v);
        };
        for (const json& in : *inputs) {
            if (!in.is_object()) continue;
            std::string name = str_field(in, "name");
            auto widget = in.find("widget");
            if (widget != in.end() && widget->is_object()) {
                // A widget input (converted widget or widget socket): its key is the widget's name;
                // the frontend drops one whose widget the node does not have.
                std::string wname = str_field(*widget, "name");
                if (std::none_of(widgets.begin(), widgets.end(), [&](const Widget& w) { return w.name == wname; })) continue;
                name = wname;
            }
            auto link = in.find("link");
            if (name.empty() || link == in.end() || link->is_null()) continue;
            Resolved r = resolve_link(s, id_text(*link), 0);
            if (r.kind == Resolved::Linked) set(name, Value(std::move(r.link)));
            else if (r.kind == Resolved::Constant) set(name, std::move(r.value));
            // None: unconnected in effect; a widget keeps its value.
        }
    }

    Resolved resolve_link(const Scope& s, const std::string& link_id, int depth) {
        if (depth > kMaxResolveDepth)
            throw Error(ErrorCode::InvalidPrompt, "Links form a cycle through reroutes or bypassed nodes (link " + link_id + ")", "in " + origin_);
        auto it = s.graph->links.find(link_id);
        if (it == s.graph->links.end()) return {};  // a link id with no link: unconnected
        const UiLink& l = it->second;
        if (l.origin == kSubgraphInputNode && s.graph->definition) return resolve_subgraph_input(s, l.origin_slot, depth + 1);
        auto node = s.graph->by_id.find(l.origin);
        if (node == s.graph->by_id.end()) return {Resolved::Linked, Link{s.prefix + l.origin, l.origin_slot}, {}};  // dropped later
        return resolve_output(s, *node->second, l.origin_slot, l.type, depth + 1);
    }

    Resolved follow_input(const Scope& s, const json& in, int depth) {
        auto link = in.find("link");
        if (link == in.end() || link->is_null()) return {};
        return resolve_link(s, id_text(*link), depth);
    }

    // Output `slot` of `node` in scope `s`.
    Resolved resolve_output(const Scope& s, const json& node, int slot, const std::string& link_type, int depth) {
        const std::string type = str_field(node, "type");
        const std::string id = id_text(node["id"]);
        const json* inputs = array_field(node, "inputs");
        if (type == "PrimitiveNode") {
            // The frontend writes the primitive's value into the widget it feeds.
            const json* wv = array_field(node, "widgets_values");
            if (!wv || wv->empty()) return {};
            return {Resolved::Constant, {}, value_from_json_node((*wv)[0])};
        }
        if (type == "Reroute") {
            if (!inputs || inputs->empty()) return {};
            return follow_input(s, (*inputs)[0], depth + 1);
        }
        if (type == "Note" || type == "MarkdownNote") return {};
        const int mode = mode_of(node);
        if (mode == kModeBypass) {
            const json* in = bypass_input(node, slot, link_type);
            return in ? follow_input(s, *in, depth + 1) : Resolved{};
        }
        if (mode != kModeNever) {
            if (auto sg = subgraphs_.find(type); sg != subgraphs_.end()) {
                if (s.depth >= kMaxSubgraphDepth) throw error_at(s.prefix + id, "Subgraphs nested too deep (a subgraph that contains itself?)");
                Scope inner{&sg->second, s.prefix + id + ":", &s, &node, s.depth + 1};
                std::string inner_link = subgraph_output_link(sg->second, slot);
                return inner_link.empty() ? Resolved{} : resolve_link(inner, inner_link, depth + 1);
            }
        }
        // A real node; a muted one is not emitted, so the link is dropped at the end.
        return {Resolved::Linked, Link{s.prefix + id, slot}, {}};
    }

    // The link inside definition `g` that feeds its output `slot`.
    static std::string subgraph_output_link(const UiGraph& g, int slot) {
        const json* outputs = array_field(*g.definition, "outputs");
        if (outputs && slot >= 0 && static_cast<size_t>(slot) < outputs->size()) {
            if (const json* ids = array_field((*outputs)[slot], "linkIds"))
                for (const json& lid : *ids) {
                    auto it = g.links.find(id_text(lid));
                    if (it != g.links.end() && it->second.target == kSubgraphOutputNode) return it->first;
                }
        }
        for (const auto& [lid, l] : g.links)
            if (l.target == kSubgraphOutputNode && l.target_slot == slot) return lid;
        return {};
    }

    // The input a bypassed node passes to its output `slot`: the same index when the types are
    // compatible, else the first of exactly the output's type, else the first compatible one.
    static const json* bypass_input(const json& node, int slot, const std::string& link_type) {
        const json* inputs = array_field(node, "inputs");
        if (!inputs || inputs->empty()) return nullptr;
        std::string out_type = link_type;
        if (const json* outputs = array_field(node, "outputs"); outputs && slot >= 0 && static_cast<size_t>(slot) < outputs->size()) {
            std::string t = str_field((*outputs)[slot], "type");
            if (!t.empty()) out_type = t;
        }
        if (out_type.empty()) out_type = "*";
        auto in_type = [](const json& in) {
            std::string t = str_field(in, "type");
            return t.empty() ? std::string("*") : t;
        };
        if (slot >= 0 && static_cast<size_t>(slot) < inputs->size() && types_compatible(in_type((*inputs)[slot]), out_type))
            return &(*inputs)[slot];
        for (const json& in : *inputs)
            if (in_type(in) == out_type) return &in;
        for (const json& in : *inputs)
            if (types_compatible(in_type(in), out_type)) return &in;
        return nullptr;
    }

    // Subgraph input `slot` of the instance that scope `s` expands.
    Resolved resolve_subgraph_input(const Scope& s, int slot, int depth) {
        if (!s.parent || !s.instance) return {};
        const json* defs = array_field(*s.graph->definition, "inputs");
        if (!defs || slot < 0 || static_cast<size_t>(slot) >= defs->size()) return {};
        const std::string name = str_field((*defs)[slot], "name");
        // The instance's input of that name, linked from outside.
        if (const json* inputs = array_field(*s.instance, "inputs")) {
            for (const json& in : *inputs) {
                if (str_field(in, "name") != name) continue;
                Resolved r = follow_input(*s.parent, in, depth + 1);
                if (r.kind != Resolved::None) return r;
                break;
            }
        }
        // Unconnected: the value of the instance's promoted widget, when it stores one.
        if (auto v = promoted_value(*s.instance, *s.graph, name)) return {Resolved::Constant, {}, std::move(*v)};
        return {};
    }

    // The value an instance stores for the promoted widget of subgraph input `name`.
    // With properties.proxyWidgets, the instance's widgets_values hold the entries whose node is
    // "-1" (subgraph inputs) in order; proxies of inner widgets keep their value in the inner node.
    // Without it, every subgraph input that feeds an inner widget is promoted, in input order.
    std::optional<Value> promoted_value(const json& instance, const UiGraph& g, const std::string& name) const {
        const json* wv = array_field(instance, "widgets_values");
        if (!wv || wv->empty()) return std::nullopt;
        std::vector<std::string> promoted;
        const json* proxies = nullptr;
        if (auto props = instance.find("properties"); props != instance.end() && props->is_object())
            proxies = array_field(*props, "proxyWidgets");
        if (proxies) {
            size_t subgraph_entries = 0;
            for (const json& p : *proxies)
                if (p.is_array() && p.size() >= 2 && id_text(p[0]) == "-1") ++subgraph_entries;
            const bool positional = wv->size() == proxies->size() && subgraph_entries != proxies->size();
            for (const json& p : *proxies) {
                bool sub = p.is_array() && p.size() >= 2 && id_text(p[0]) == "-1";
                if (sub) promoted.push_back(p[1].is_string() ? p[1].get<std::string>() : std::string());
                else if (positional) promoted.emplace_back();  // holds a slot, names no subgraph input
            }
        } else if (const json* defs = array_field(*g.definition, "inputs")) {
            for (const json& d : *defs) {
                bool feeds_widget = false;
                if (const json* ids = array_field(d, "linkIds"))
                    for (const json& lid : *ids) {
                        auto l = g.links.find(id_text(lid));
                        if (l == g.links.end()) continue;
                        auto target = g.by_id.find(l->second.target);
                        if (target == g.by_id.end()) continue;
                        const json* tins = array_field(*target->second, "inputs");
                        if (!tins) continue;
                        for (const json& ti : *tins)
                            if (ti.is_object() && ti.contains("widget") && ti.contains("link") && !ti["link"].is_null() &&
                                id_text(ti["link"]) == l->first)
                                feeds_widget = true;
                    }
                if (feeds_widget) promoted.push_back(str_field(d, "name"));
            }
        }
        for (size_t k = 0; k < promoted.size() && k < wv->size(); ++k)
            if (!promoted[k].empty() && promoted[k] == name) return value_from_json_node((*wv)[k]);
        return std::nullopt;
    }

    void drop_dangling_links() {
        std::vector<std::string> ids;
        ids.reserve(out_.size());
        for (const WorkflowNode& n : out_.nodes()) ids.push_back(n.id);
        for (const std::string& id : ids) {
            WorkflowNode* n = out_.find(id);
            std::erase_if(n->inputs, [&](const auto& in) { return in.second.is_link() && !out_.find(in.second.as_link().node_id); });
        }
    }

    const NodeRegistry& registry_;
    std::string origin_;
    UiGraph root_;
    std::unordered_map<std::string, UiGraph> subgraphs_;
    Workflow out_;
};

}  // namespace

bool is_ui_workflow(const json& j) {
    if (!j.is_object()) return false;
    auto nodes = j.find("nodes");
    if (nodes == j.end() || !nodes->is_array()) return false;
    return j.contains("links") || j.contains("version") || j.contains("state") || j.contains("last_node_id");
}

Workflow convert_ui_workflow(const json& ui, const NodeRegistry& registry, std::string_view origin) {
    if (!is_ui_workflow(ui))
        throw Error(ErrorCode::InvalidPrompt, "Not a UI-format workflow (expected an object with a \"nodes\" array and \"links\")",
                    "in " + std::string(origin));
    return Converter(ui, registry, origin).run();
}

}  // namespace weft::graph
