// Large op buffers kept for reuse (buffer_pool.h), one pool per Session (pooled_storage.h).
#include "buffer_pool.h"
#include "pooled_storage.h"

#include "core/resource_scope.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

namespace weft::ops {

namespace {

// Free large blocks by rounded size. Capped so a finished workflow leaves at most kCap bytes
// behind, and so the pool adds little to the peak: a UNet step's working set of blocks is about
// 150 MB at 512x512, while a 1 GiB cap let the VAE's 130 MB blocks push an SD1.5 run in bf16 past 3 GB.
class BufferPool {
public:
    static constexpr size_t kGranule = size_t(2) << 20;  // pooled sizes are multiples of this
    static constexpr size_t kCap = size_t(256) << 20;    // most bytes a pool holds

    BufferPool() = default;
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;
    ~BufferPool() { clear(); }

    /// A buffer of `bytes` (a multiple of kGranule): a held one of that size, else a fresh one
    /// (after freeing held ones worth as much, so a peak does not hold both).
    void* take(size_t bytes);
    /// Holds a buffer from take() for reuse, or frees it when the pool is full.
    void give(void* p, size_t bytes);
    void clear();
    size_t held();

private:
    std::mutex mutex_;
    std::multimap<size_t, void*> free_;
    size_t held_ = 0;
};

void* BufferPool::take(size_t bytes) {
    std::vector<void*> evicted;
    {
        std::lock_guard lock(mutex_);
        auto it = free_.find(bytes);
        if (it != free_.end()) {
            void* p = it->second;
            free_.erase(it);
            held_ -= bytes;
            return p;
        }
        // A miss: give back held blocks of other sizes, largest first, worth the new block, so the
        // resident set does not grow by both (the peak is where misses happen).
        for (size_t freed = 0; freed < bytes && !free_.empty();) {
            auto last = std::prev(free_.end());
            freed += last->first;
            held_ -= last->first;
            evicted.push_back(last->second);
            free_.erase(last);
        }
    }
    for (void* q : evicted) std::free(q);
    void* p = std::aligned_alloc(kGranule, bytes);
    if (!p) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only; failure is harmless
    return p;
}

void BufferPool::give(void* p, size_t bytes) {
    std::lock_guard lock(mutex_);
    if (held_ + bytes > kCap) {
        std::free(p);
        return;
    }
    free_.emplace(bytes, p);
    held_ += bytes;
}

void BufferPool::clear() {
    std::lock_guard lock(mutex_);
    for (auto& [bytes, p] : free_) std::free(p);
    free_.clear();
    held_ = 0;
}

size_t BufferPool::held() {
    std::lock_guard lock(mutex_);
    return held_;
}

/// The pool ops allocate from on this thread: the current Session's, else the process's.
std::shared_ptr<BufferPool> current_pool() { return current_resources().get<BufferPool>(); }

}  // namespace

std::shared_ptr<Storage> pooled_storage(size_t nbytes) {
    const size_t rounded = (nbytes + BufferPool::kGranule - 1) / BufferPool::kGranule * BufferPool::kGranule;
    std::shared_ptr<BufferPool> pool = current_pool();
    void* p = pool->take(rounded);
    // Back to the pool it came from while that pool lives (clear_cache() may drop it).
    return std::make_shared<Storage>(p, nbytes, [p, rounded, from = std::weak_ptr<BufferPool>(pool)] {
        if (auto pool = from.lock()) pool->give(p, rounded);
        else std::free(p);
    });
}

void release_cached_buffers() { current_pool()->clear(); }
size_t cached_buffer_bytes() { return current_pool()->held(); }

}  // namespace weft::ops
