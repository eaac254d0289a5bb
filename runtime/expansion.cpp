// Node expansion: subgraphs become nodes of the run's graph.
#include "runtime/expansion.h"

#include <weft/error.h>

#include <string>
#include <unordered_set>

namespace weft::runtime {

AddedNodes add_expansion(DynamicGraph& graph, const NodeRegistry& registry, uint32_t parent_index, std::vector<CallOutput>& calls) {
    const GraphNode parent = graph.at(parent_index);  // a copy: the graph grows below
    for (const CallOutput& c : calls)
        if (c.expansion)
            for (const WorkflowNode& wn : c.expansion->nodes())
                if (!registry.find(wn.class_type))
                    throw Error(ErrorCode::InvalidPrompt, "node expansion uses unknown node type '" + wn.class_type + "'").at_node(parent.node.id);
    AddedNodes added;
    for (size_t i = 0; i < calls.size(); ++i) {
        CallOutput& c = calls[i];
        if (!c.expansion) continue;
        const std::string prefix = parent.node.id + "." + std::to_string(i) + ".";
        std::unordered_set<std::string> local;
        for (const WorkflowNode& wn : c.expansion->nodes()) local.insert(wn.id);
        auto rewrite = [&](const Value& v) -> Value {
            if (v.is_link() && local.contains(v.as_link().node_id)) return Value(Link{prefix + v.as_link().node_id, v.as_link().slot});
            return v;
        };
        for (const WorkflowNode& wn : c.expansion->nodes()) {
            GraphNode g;
            g.node.id = prefix + wn.id;
            g.node.class_type = wn.class_type;
            g.node.title = wn.title;
            for (const auto& [name, v] : wn.inputs) g.node.inputs.emplace_back(name, rewrite(v));
            g.display_id = wn.display_id ? *wn.display_id : parent.display_id;
            g.parent_id = parent.node.id;
            g.real_id = parent.real_id;
            added.emplace_back(static_cast<uint32_t>(graph.add(std::move(g))), registry.find(wn.class_type));
        }
        for (Value& v : c.expansion_results) v = rewrite(v);
    }
    return added;
}

}  // namespace weft::runtime
