#include "runtime/cache.h"

#include <unordered_set>

namespace weft::runtime {

std::shared_ptr<const CacheEntry> OutputCache::get(const graph::CacheKey& key) {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(key);
    if (it == slots_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
    it->second.generation = generation_;
    return it->second.entry;
}

void OutputCache::put(const graph::CacheKey& key, std::shared_ptr<const CacheEntry> entry) {
    if (options_.mode == CacheOptions::Mode::None) return;
    std::lock_guard lock(mutex_);
    auto it = slots_.find(key);
    if (it != slots_.end()) erase_locked(it);
    lru_.push_front(key);
    bytes_ += entry->bytes;
    slots_.emplace(key, Slot{std::move(entry), generation_, lru_.begin()});
    evict_locked();
}

void OutputCache::begin_run(const std::unordered_set<graph::CacheKey, graph::CacheKeyHash>& current) {
    std::lock_guard lock(mutex_);
    ++generation_;
    switch (options_.mode) {
    case CacheOptions::Mode::None:
        slots_.clear();
        lru_.clear();
        bytes_ = 0;
        break;
    case CacheOptions::Mode::Classic:
        for (auto it = slots_.begin(); it != slots_.end();) {
            auto next = std::next(it);
            if (!current.contains(it->first)) erase_locked(it);
            it = next;
        }
        break;
    case CacheOptions::Mode::Lru:
    case CacheOptions::Mode::Ram:
        // Entries the new workflow uses become current, so they survive this run's evictions.
        for (auto& [key, slot] : slots_)
            if (current.contains(key)) slot.generation = generation_;
        evict_locked();
        break;
    }
}

void OutputCache::evict_locked() {
    auto over = [&] {
        if (options_.mode == CacheOptions::Mode::Lru) return slots_.size() > options_.lru_entries;
        if (options_.mode == CacheOptions::Mode::Ram) return bytes_ > options_.ram_bytes;
        return false;
    };
    // Oldest first. LRU keeps the running generation's entries (ComfyUI's rule); a RAM budget is
    // a hard limit, and evicting a running generation's entry is safe because a run holds its own
    // handles. Erasing the element a reverse iterator refers to leaves it on the next older one.
    const bool keep_current = options_.mode == CacheOptions::Mode::Lru;
    auto it = lru_.rbegin();
    while (over() && it != lru_.rend()) {
        auto slot = slots_.find(*it);
        if (keep_current && slot->second.generation == generation_) {
            ++it;
            continue;
        }
        erase_locked(slot);
    }
}

void OutputCache::erase_locked(std::unordered_map<graph::CacheKey, Slot, graph::CacheKeyHash>::iterator it) {
    bytes_ -= it->second.entry->bytes;
    lru_.erase(it->second.lru_pos);
    slots_.erase(it);
}

void OutputCache::clear() {
    std::lock_guard lock(mutex_);
    slots_.clear();
    lru_.clear();
    bytes_ = 0;
}

size_t OutputCache::size() const {
    std::lock_guard lock(mutex_);
    return slots_.size();
}

size_t OutputCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

static void add_value_bytes(const Value& v, std::unordered_set<const void*>& seen, size_t& total) {
    switch (v.kind()) {
    case Value::Kind::Tensor: {
        const Tensor& t = v.as_tensor();
        if (t.defined() && seen.insert(t.storage().get()).second) total += t.storage()->nbytes();
        break;
    }
    case Value::Kind::Latent: {
        const Latent& l = v.as_latent();
        for (const Tensor* t : {&l.samples, &l.noise_mask})
            if (t->defined() && seen.insert(t->storage().get()).second) total += t->storage()->nbytes();
        break;
    }
    case Value::Kind::List:
        for (const Value& item : v.as_list()) add_value_bytes(item, seen, total);
        break;
    case Value::Kind::Dict:
        for (const auto& [k, item] : v.as_dict()) add_value_bytes(item, seen, total);
        break;
    case Value::Kind::Object:
        if (seen.insert(v.as_object_ref().ptr.get()).second) total += v.as_object_ref().bytes;
        break;
    default:
        total += v.byte_size();
    }
}

size_t entry_bytes(const std::vector<List>& outputs) {
    std::unordered_set<const void*> seen;
    size_t total = 0;
    for (const List& slot : outputs)
        for (const Value& v : slot) add_value_bytes(v, seen, total);
    return total;
}

}  // namespace weft::runtime
