// runtime/cancel_token.h — a per-run cancellation flag (never process-wide).
#pragma once

#include <atomic>

namespace weft::runtime {

struct CancelToken {
    std::atomic<bool> cancelled{false};
    void cancel() { cancelled.store(true, std::memory_order_relaxed); }
    bool is_cancelled() const { return cancelled.load(std::memory_order_relaxed); }
};

}  // namespace weft::runtime
