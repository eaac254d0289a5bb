// tensor/ops/dnnl_context.h — the process-wide oneDNN engine and the stream the heavy ops run on
// (internal to tensor/ops).
#pragma once

#include "compute.h"

#include <weft/tensor.h>

#include <oneapi/dnnl/dnnl.hpp>

namespace weft::ops::detail {

/// The CPU engine; the first call runs ops::init().
const dnnl::engine& engine();
/// A stream for the calling thread (oneDNN CPU streams are cheap; one per thread keeps concurrent
/// light users safe even though heavy ops are documented as exclusive).
dnnl::stream& stream();

inline dnnl::memory::data_type dnnl_type(Compute c) {
    return c == Compute::BF16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

/// A memory object over `t`'s data (no copy); `t` must be F32 or BF16 and stay alive.
dnnl::memory wrap(const Tensor& t, const dnnl::memory::desc& md);

/// `t` (F32 or BF16) as a dense tensor of the compute dtype, converting only when needed.
Tensor as_compute(const Tensor& t, Compute c);

/// Rethrows a dnnl::error as weft::Error naming the op.
[[noreturn]] void rethrow_dnnl(const char* op, const dnnl::error& e, const std::string& what);

}  // namespace weft::ops::detail
