// tensor/ops/buffer_pool.h — reuse of large op output buffers.
//
// Op outputs of a UNet or VAE forward are large (5–270 MB) and allocated and freed in the same
// sizes every step. A fresh large allocation is an mmap whose every page faults (and is zeroed by
// the kernel) on first touch, which costs as much as a small convolution; so buffers of 1 MiB and
// more are kept after release, keyed by size (rounded to 2 MiB), up to a cap, and handed out again.
// Large buffers are also advised as transparent huge pages.
//
// Thread safety: all functions may be called from any thread.
#pragma once

#include <cstddef>

namespace weft::ops {

/// Frees every cached buffer (e.g. after a workflow finished); buffers in use are unaffected.
void release_cached_buffers();

/// Bytes currently held in the cache (not in use).
size_t cached_buffer_bytes();

}  // namespace weft::ops
