// runtime/session_state.h — what a Session keeps between runs: cache, node instances, threads.
#pragma once

#include "runtime/cache.h"

#include <weft/registry.h>
#include <weft/session.h>

#include <tbb/task_arena.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace weft::runtime {

/// Node instance state per (node id, class), kept across runs (ComfyUI's objects cache).
class InstanceStore {
public:
    /// The slot for (id, class); created empty. References stay valid until clear().
    std::shared_ptr<void>& slot(const std::string& id, const std::string& class_type) {
        std::lock_guard lock(mutex_);
        return slots_[{id, class_type}];
    }
    void clear() {
        std::lock_guard lock(mutex_);
        slots_.clear();
    }

private:
    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<void>> slots_;
};

struct SessionState {
    SessionState(std::shared_ptr<const NodeRegistry> reg, SessionOptions opts)
        : registry(std::move(reg)), options(std::move(opts)), cache(options.cache),
          arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic, 0) {}

    std::shared_ptr<const NodeRegistry> registry;
    SessionOptions options;
    OutputCache cache;
    InstanceStore instances;
    tbb::task_arena arena;  // node bodies run here; no slot reserved for the scheduler thread
};

}  // namespace weft::runtime
