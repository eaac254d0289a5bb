// runtime/cache.h — node results kept between runs, keyed by content (graph/cache_key.h).
//
// One interface, four policies (CacheOptions::Mode): classic keeps only what the current workflow
// uses, LRU keeps N entries, RAM keeps entries while their bytes fit a budget, none keeps nothing.
// Entries are immutable and shared: a run holds its own handles, so eviction never breaks a run.
#pragma once

#include "graph/cache_key.h"

#include <weft/session.h>
#include <weft/value.h>

#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace weft::runtime {

struct CacheEntry {
    std::vector<List> outputs;  // [slot] -> list items
    std::optional<Dict> ui;
    size_t bytes = 0;
};

class OutputCache {
public:
    explicit OutputCache(CacheOptions options) : options_(options) {}

    /// The entry for `key`, or null. Marks it recently used.
    std::shared_ptr<const CacheEntry> get(const graph::CacheKey& key);
    /// Stores an entry (no-op in mode None), then evicts what the policy says.
    void put(const graph::CacheKey& key, std::shared_ptr<const CacheEntry> entry);
    /// Starts a run: classic drops entries whose keys are not in `current`; LRU/RAM start a new
    /// generation whose entries are not evicted during this run.
    void begin_run(const std::unordered_set<graph::CacheKey, graph::CacheKeyHash>& current);
    void clear();
    size_t size() const;
    size_t bytes() const;
    const CacheOptions& options() const { return options_; }

private:
    struct Slot {
        std::shared_ptr<const CacheEntry> entry;
        uint64_t generation = 0;
        std::list<graph::CacheKey>::iterator lru_pos;
    };
    void evict_locked();
    void erase_locked(std::unordered_map<graph::CacheKey, Slot, graph::CacheKeyHash>::iterator it);

    CacheOptions options_;
    mutable std::mutex mutex_;  // guards everything below
    std::unordered_map<graph::CacheKey, Slot, graph::CacheKeyHash> slots_;
    std::list<graph::CacheKey> lru_;  // front = most recently used
    uint64_t generation_ = 0;
    size_t bytes_ = 0;
};

/// Bytes a node result keeps alive (tensor storages counted once each).
size_t entry_bytes(const std::vector<List>& outputs);

}  // namespace weft::runtime
