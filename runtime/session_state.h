// runtime/session_state.h — what a Session keeps between runs: cache, node instances, the memory
// its nodes keep (SessionResources), threads.
#pragma once

#include "runtime/cache.h"

#include <weft/registry.h>
#include <weft/session.h>
#include <weft/session_resources.h>

#include <tbb/global_control.h>
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
          workers(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(concurrency()) + 1),
          arena(concurrency(), 0) {}

    int concurrency() const { return options.threads > 0 ? options.threads : tbb::this_task_arena::max_concurrency(); }

    std::shared_ptr<const NodeRegistry> registry;
    SessionOptions options;
    OutputCache cache;
    InstanceStore instances;
    SessionResources resources;  // op buffer pool, tokenizers, file hashes: cleared with the cache
    /// oneTBB sizes its worker pool for cores - 1 (the caller is expected to work too). Our
    /// scheduler thread only waits, so one more worker is needed for every core to run nodes.
    tbb::global_control workers;
    tbb::task_arena arena;  // node bodies run here; no slot reserved for the scheduler thread
};

}  // namespace weft::runtime
