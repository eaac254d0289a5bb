// tensor/ops/elementwise.h — broadcast arithmetic and activations on F32 tensors.
//
//   Tensor y = ops::add(x, bias.reshape({1, C, 1, 1}));   // numpy broadcasting
//   Tensor h = ops::silu(ops::mul(x, 0.5f));
//
// Inputs may be strided views; outputs are new contiguous F32 tensors. Work is split with oneTBB.
#pragma once

#include <weft/tensor.h>

namespace weft::ops {

/// The broadcast shape of `a` and `b` (numpy rules); throws weft::Error naming `op` when they clash.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

/// a + b for tensors of one shape, each F32 or BF16, summed in F32 and stored as `out` (F32 or
/// BF16): the residual sums of a network that keeps its activations in BF16. Two channels-last
/// operands give a channels-last result.
Tensor add(const Tensor& a, const Tensor& b, DType out);

Tensor add(const Tensor& a, float s);
Tensor sub(const Tensor& a, float s);
Tensor mul(const Tensor& a, float s);
Tensor div(const Tensor& a, float s);

/// x·sigmoid(x).
Tensor silu(const Tensor& x);
/// x·Φ(x) with the exact erf form, or the tanh approximation when `tanh_approx`.
Tensor gelu(const Tensor& x, bool tanh_approx = false);
/// x·sigmoid(1.702·x) (CLIP).
Tensor quick_gelu(const Tensor& x);
/// Splits the last dimension into halves (a, gate) and returns a·gelu_erf(gate); last dim must be
/// even. `out` F32 or BF16 (a BF16 result feeds a BF16 linear without a conversion pass).
Tensor geglu(const Tensor& x, DType out = DType::F32);
/// Softmax over the last dimension.
Tensor softmax(const Tensor& x);

}  // namespace weft::ops
