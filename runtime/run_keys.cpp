// Fingerprints and cache keys of a run's nodes.
#include "runtime/run_keys.h"

#include "core/resource_scope.h"

namespace weft::runtime {

void RunKeys::fingerprint(const GraphNode& g, const NodeDefinition* def) {
    if (!def || !def->fingerprint) return;
    NodeInputs constants;
    for (const auto& [name, v] : g.node.inputs) {
        if (v.is_link()) constants.linked.push_back(name);
        else constants.values.emplace_back(name, List{v});
    }
    graph::Fingerprint fp;
    ResourceScope scope(*run_.resources);
    try {
        NodeCall ctx(run_, g, *def, constants, 0, nullptr);
        fp.value = def->fingerprint(ctx);
        fp.always_changed = !fp.value.has_value();
    } catch (...) {
        fp.always_changed = true;  // as ComfyUI: a failing IS_CHANGED means "changed"
    }
    fingerprints_[g.node.id] = std::move(fp);
}

void RunKeys::compute(const DynamicGraph& graph, const std::vector<std::string>& ids, std::vector<NodeRun>& nodes) {
    graph::compute_cache_keys(
        graph.as_workflow(), registry_,
        [this](const std::string& id) -> const graph::Fingerprint* {
            auto it = fingerprints_.find(id);
            return it == fingerprints_.end() ? nullptr : &it->second;
        },
        ids, keys_);
    for (const std::string& id : ids) {
        int64_t idx = graph.index_of(id);
        auto it = keys_.find(id);
        if (idx < 0 || it == keys_.end()) continue;
        nodes[idx].key = it->second;
        auto fp = fingerprints_.find(id);
        nodes[idx].key_unique = fp != fingerprints_.end() && fp->second.always_changed;
    }
}

void RunKeys::know_base(const DynamicGraph& graph, const std::vector<NodeRun>& nodes) {
    if (!keys_.empty()) return;  // compute() ran on the base: its keys are known
    for (size_t i = 0; i < graph.base_size(); ++i) keys_.emplace(graph.at(i).node.id, nodes[i].key);
}

}  // namespace weft::runtime
