#include "ops_common.h"

#include "buffer_pool.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

namespace weft::ops::detail {

namespace {

// Free large blocks by rounded size. Capped so a finished workflow leaves at most kCap bytes behind,
// and so the cache adds little to the peak: a UNet step's working set of blocks is about 150 MB at
// 512x512, while a 1 GiB cap let the VAE's 130 MB blocks push an SD1.5 run in bf16 past 3 GB.
class BlockCache {
public:
    static constexpr size_t kMin = size_t(1) << 20;
    static constexpr size_t kGranule = size_t(2) << 20;
    static constexpr size_t kCap = size_t(256) << 20;

    void* take(size_t bytes) {
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
            // A miss: give back cached blocks of other sizes, largest first, worth the new block,
            // so the resident set does not grow by both (the peak is where misses happen).
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

    void give(void* p, size_t bytes) {
        std::lock_guard lock(mutex_);
        if (held_ + bytes > kCap) {
            std::free(p);
            return;
        }
        free_.emplace(bytes, p);
        held_ += bytes;
    }

    void clear() {
        std::lock_guard lock(mutex_);
        for (auto& [bytes, p] : free_) std::free(p);
        free_.clear();
        held_ = 0;
    }

    size_t held() {
        std::lock_guard lock(mutex_);
        return held_;
    }

private:
    std::mutex mutex_;
    std::multimap<size_t, void*> free_;
    size_t held_ = 0;
};

// Leaked on purpose: tensors released during static destruction may still return blocks.
BlockCache& cache() {
    static BlockCache* c = new BlockCache;
    return *c;
}

}  // namespace

bool is_channels_last(const Tensor& t) {
    if (!t.defined() || t.dim() != 4) return false;
    const int64_t C = t.size(1), H = t.size(2), W = t.size(3);
    const auto& st = t.strides();
    return st[0] == H * W * C && st[1] == 1 && st[2] == W * C && st[3] == C;
}

Tensor empty_channels_last(const Shape& nchw, DType dtype) {
    return empty({nchw[0], nchw[2], nchw[3], nchw[1]}, dtype).permute({0, 3, 1, 2});
}

Tensor empty(const Shape& shape, DType dtype) {
    const size_t nbytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
    std::shared_ptr<Storage> storage;
    if (nbytes >= BlockCache::kMin) {
        const size_t rounded = (nbytes + BlockCache::kGranule - 1) / BlockCache::kGranule * BlockCache::kGranule;
        void* p = cache().take(rounded);
        storage = std::make_shared<Storage>(p, nbytes, [p, rounded] { cache().give(p, rounded); });
    } else {
        const size_t rounded = (nbytes + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
        if (!p) throw std::bad_alloc();
        storage = std::make_shared<Storage>(p, nbytes, [p] { std::free(p); });
    }
    return Tensor(std::move(storage), dtype, shape, contiguous_strides(shape));
}

void fail(std::string_view op, const std::string& what) {
    throw Error("tensor_op", std::string(op) + ": " + what);
}

void check_f32(const Tensor& t, std::string_view op, std::string_view name, int64_t rank) {
    if (!t.defined()) fail(op, std::string(name) + " is undefined");
    if (t.dtype() != DType::F32)
        fail(op, std::string(name) + " must be F32, got " + t.describe());
    if (rank >= 0 && t.dim() != rank)
        fail(op, std::string(name) + " must have " + std::to_string(rank) + " dimensions, got " + t.describe());
}

void check_float(const Tensor& t, std::string_view op, std::string_view name, int64_t rank) {
    if (!t.defined()) fail(op, std::string(name) + " is undefined");
    if (t.dtype() != DType::F32 && t.dtype() != DType::BF16)
        fail(op, std::string(name) + " must be F32 or BF16, got " + t.describe());
    if (rank >= 0 && t.dim() != rank)
        fail(op, std::string(name) + " must have " + std::to_string(rank) + " dimensions, got " + t.describe());
}

}  // namespace weft::ops::detail

namespace weft::ops {

void release_cached_buffers() { detail::cache().clear(); }
size_t cached_buffer_bytes() { return detail::cache().held(); }

}  // namespace weft::ops
