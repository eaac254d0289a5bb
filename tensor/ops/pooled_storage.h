// tensor/ops/pooled_storage.h — storage for large op outputs, taken from a buffer pool
// (buffer_pool.h) and given back to it when released.
//
// A pool is a Session resource (weft/session_resources.h): ops take buffers from the pool of the
// Session whose node call runs on the thread (core/resource_scope.h), or from the process-wide
// pool outside node calls, so two Sessions do not share buffers. A buffer goes back to the pool it
// came from, or is freed when that pool is gone (Session::clear_cache() drops the Session's pool
// and every buffer it holds).
#pragma once

#include <weft/tensor.h>

#include <cstddef>
#include <memory>

namespace weft::ops {

/// Outputs of this many bytes and more are pooled.
inline constexpr size_t kPooledMinBytes = size_t(1) << 20;

/// Uninitialised storage of `nbytes` (>= kPooledMinBytes) from the current pool, aligned to 2 MiB.
std::shared_ptr<Storage> pooled_storage(size_t nbytes);

}  // namespace weft::ops
