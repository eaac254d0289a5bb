// NodeRegistry: class name -> shared immutable definition. (builtin_registry() lives in nodes/.)
#include <weft/error.h>
#include <weft/registry.h>

namespace weft {

namespace {
void check_definition(const NodeDefinition& def) {
    if (def.schema.name().empty()) throw Error(ErrorCode::InvalidNodeDefinition, "a node definition needs a class name");
    if (!def.execute)
        throw Error(ErrorCode::InvalidNodeDefinition, "node '" + def.schema.name() + "' has no execute function");
}
}  // namespace

void NodeRegistry::add(NodeDefinition def) {
    check_definition(def);
    std::string name = def.schema.name();
    if (defs_.count(name)) throw Error(ErrorCode::InvalidNodeDefinition, "node class '" + name + "' is already registered");
    defs_.emplace(std::move(name), std::make_shared<const NodeDefinition>(std::move(def)));
}

void NodeRegistry::add_or_replace(NodeDefinition def) {
    check_definition(def);
    std::string name = def.schema.name();
    defs_[std::move(name)] = std::make_shared<const NodeDefinition>(std::move(def));
}

const NodeDefinition* NodeRegistry::find(std::string_view class_type) const {
    auto it = defs_.find(class_type);
    return it == defs_.end() ? nullptr : it->second.get();
}

std::vector<std::string> NodeRegistry::names() const {
    std::vector<std::string> out;
    out.reserve(defs_.size());
    for (const auto& [name, def] : defs_) out.push_back(name);
    return out;
}

}  // namespace weft
