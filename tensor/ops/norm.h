// tensor/ops/norm.h — group and layer normalisation (statistics accumulated in double).
//
//   Tensor h = ops::group_norm(x, 32, gamma, beta, 1e-5f);    // x [N, C, ...]
//   Tensor t = ops::layer_norm(tokens, gamma, beta, 1e-5f);    // over the last dimension
//   Tensor h = ops::group_norm_silu(x, 32, gamma, beta, 1e-5f); // ResBlock's norm + activation
#pragma once

#include <weft/tensor.h>

namespace weft::ops {

/// x [N, C, *] normalised per (sample, group of C/groups channels) with biased variance;
/// `weight`/`bias` are [C] or undefined (then 1 and 0).
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps);

/// group_norm followed by SiLU in the same pass (ResBlock and VAE blocks always pair them).
Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps);

/// Normalises over the last dimension (size D); `weight`/`bias` are [D] or undefined. `out` F32 or
/// BF16: a BF16 result feeds BF16 linears (q, k, v) without a conversion pass each.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, DType out = DType::F32);

}  // namespace weft::ops
