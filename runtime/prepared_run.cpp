#include "runtime/prepared_run.h"

#include <algorithm>
#include <unordered_map>

namespace weft::runtime {

namespace {

bool validation_depends_on_outside(const Workflow& wf, const NodeRegistry& registry) {
    // Whether a type declares a folder-backed input at all, once per type: looking up each of a
    // node's inputs in its schema would cost O(inputs^2) on a node with thousands of them.
    std::unordered_map<const NodeDefinition*, bool> has_provider;
    for (const WorkflowNode& n : wf.nodes()) {
        const NodeDefinition* def = registry.find(n.class_type);
        if (!def) return true;
        if (def->validate) return true;
        auto [it, fresh] = has_provider.try_emplace(def, false);
        if (fresh)
            it->second = std::any_of(def->schema.inputs().begin(), def->schema.inputs().end(),
                                     [](const Input& in) { return static_cast<bool>(in.options_provider); });
        if (!it->second) continue;
        for (const auto& [name, v] : n.inputs) {
            (void)v;
            const Input* in = def->schema.find_input(name);
            if (in && in->options_provider) return true;
        }
    }
    return false;
}

}  // namespace

std::shared_ptr<PreparedRun> PreparedRun::prepare(const Workflow& wf, const NodeRegistry& registry, const Folders& folders,
                                                  const std::optional<std::vector<std::string>>& targets) {
    auto p = std::make_shared<PreparedRun>();
    p->validated = graph::validate_workflow(wf, registry, folders, targets);
    p->targets = targets;
    p->registry_size = registry.size();
    if (!p->validated.report.ok()) return p;
    p->validation_reusable = !validation_depends_on_outside(wf, registry);
    if (p->validation_reusable) p->source = wf;
    p->base = std::make_shared<const GraphBase>(p->validated.coerced);
    p->defs.reserve(p->base->nodes.size());
    for (const GraphNode& g : p->base->nodes) {
        const NodeDefinition* def = registry.find(g.node.class_type);
        p->defs.push_back(def);
        if (def && def->fingerprint) p->any_fingerprint = true;
    }
    return p;
}

bool PreparedRun::serves(const Workflow& wf, const std::optional<std::vector<std::string>>& t, const NodeRegistry& registry) const {
    return validation_reusable && registry.size() == registry_size && targets == t && source == wf;
}

}  // namespace weft::runtime
