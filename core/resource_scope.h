// core/resource_scope.h — which Session's resources the code on this thread works for. The
// executor sets a scope around every node call (body, lazy check, fingerprint), so code that
// cannot be handed a NodeContext (tensor ops taking their buffer pool) finds the Session's
// resources; elsewhere it gets the process-wide ones.
#pragma once

#include <weft/session_resources.h>

namespace weft {

/// The innermost scope's resources on this thread, else SessionResources::process().
SessionResources& current_resources();

/// Makes `resources` current on this thread until destroyed (scopes nest).
class ResourceScope {
public:
    explicit ResourceScope(SessionResources& resources);
    ~ResourceScope();
    ResourceScope(const ResourceScope&) = delete;
    ResourceScope& operator=(const ResourceScope&) = delete;

private:
    SessionResources* previous_;
};

}  // namespace weft
