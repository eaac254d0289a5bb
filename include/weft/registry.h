// include/weft/registry.h — the set of node types a session can run.
//
//   auto registry = std::make_shared<weft::NodeRegistry>();
//   weft::register_builtin_nodes(*registry);   // weft's own nodes
//   registry->add(my_node_definition());         // an application's nodes, the same way
//
// Thread safety: add() before sharing the registry with a Session; lookups are then safe from
// any thread.
#pragma once

#include <weft/node.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace weft {

class NodeRegistry {
public:
    /// Registers a node type; throws weft::Error when the name is taken or the definition has no
    /// execute function.
    void add(NodeDefinition def);
    /// Registers or replaces.
    void add_or_replace(NodeDefinition def);
    /// The definition of `class_type`, or nullptr.
    const NodeDefinition* find(std::string_view class_type) const;
    /// Every registered class name, sorted.
    std::vector<std::string> names() const;
    size_t size() const { return defs_.size(); }

private:
    std::map<std::string, std::shared_ptr<const NodeDefinition>, std::less<>> defs_;
};

/// Registers every node weft ships (implemented in the node library).
void register_builtin_nodes(NodeRegistry& registry);

/// A registry holding the built-in nodes. Each call returns a new registry sharing the built-in
/// definitions (built once, immutable), so nodes added to it affect no other registry.
std::shared_ptr<NodeRegistry> builtin_registry();

}  // namespace weft
