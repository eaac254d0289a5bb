// SessionResources, and the thread's current resources (core/resource_scope.h).
#include "core/resource_scope.h"

namespace weft {

namespace {
thread_local SessionResources* t_current = nullptr;
}  // namespace

std::shared_ptr<void> SessionResources::get(std::type_index type, std::shared_ptr<void> (*make)()) {
    std::lock_guard lock(mutex_);
    std::shared_ptr<void>& slot = items_[type];
    if (!slot) slot = make();
    return slot;
}

void SessionResources::clear() {
    std::unordered_map<std::type_index, std::shared_ptr<void>> dropped;
    {
        std::lock_guard lock(mutex_);
        dropped.swap(items_);
    }
    // Destroyed here, outside the lock: a resource's destructor may free a lot.
}

SessionResources& SessionResources::process() {
    // Leaked on purpose: tensors released during static destruction may still return buffers.
    static SessionResources* resources = new SessionResources;
    return *resources;
}

SessionResources& current_resources() { return t_current ? *t_current : SessionResources::process(); }

ResourceScope::ResourceScope(SessionResources& resources) : previous_(t_current) { t_current = &resources; }
ResourceScope::~ResourceScope() { t_current = previous_; }

}  // namespace weft
