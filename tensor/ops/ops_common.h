// tensor/ops/ops_common.h — helpers shared by the op implementations (not part of the op API).
//
// Argument checks throw weft::Error of type "tensor_op" whose message names the op and the shapes,
// so a wrong call from model code is reported where it happened.
#pragma once

#include <weft/error.h>
#include <weft/tensor.h>

#include <string>
#include <string_view>

namespace weft::ops::detail {

/// An uninitialised contiguous tensor (64-byte aligned); every op overwrites its whole output,
/// so the zero-fill of Tensor::zeros would only cost memory bandwidth. Buffers of 1 MiB and more
/// come from the reuse cache (buffer_pool.h).
Tensor empty(const Shape& shape, DType dtype = DType::F32);

[[noreturn]] void fail(std::string_view op, const std::string& what);

/// Throws unless `cond`; `what` is only built on failure.
template <class F> inline void check(bool cond, std::string_view op, F&& what) {
    if (!cond) fail(op, what());
}

/// Requires a defined F32 tensor of `rank` dimensions (any rank when rank < 0).
void check_f32(const Tensor& t, std::string_view op, std::string_view name, int64_t rank = -1);

/// Requires a defined F32 or BF16 tensor (inputs of the heavy ops).
void check_float(const Tensor& t, std::string_view op, std::string_view name, int64_t rank = -1);

/// A contiguous F32 view of `t` (a copy only when `t` is strided).
inline Tensor dense(const Tensor& t) { return t.is_contiguous() ? t : t.contiguous(); }

/// True for a 4-D tensor laid out channels-last: shape [N, C, H, W] over an [N, H, W, C] buffer
/// (strides {H·W·C, 1, W·C, C}, as PyTorch's channels_last), the layout oneDNN's convolutions work in.
bool is_channels_last(const Tensor& t);
/// An uninitialised [N, C, H, W] tensor laid out channels-last.
Tensor empty_channels_last(const Shape& nchw, DType dtype = DType::F32);

/// Grain (elements) below which an elementwise loop is not split across threads.
inline constexpr int64_t kGrain = 1 << 14;

}  // namespace weft::ops::detail
