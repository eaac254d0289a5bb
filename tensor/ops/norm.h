// tensor/ops/norm.h — group and layer normalisation (statistics accumulated in double).
//
//   Tensor h = ops::group_norm(x, 32, gamma, beta, 1e-5f);    // x [N, C, ...]
//   Tensor t = ops::layer_norm(tokens, gamma, beta, 1e-5f);    // over the last dimension
//   Tensor h = ops::group_norm_silu(x, 32, gamma, beta, 1e-5f); // ResBlock's norm + activation
#pragma once

#include <weft/tensor.h>

#include <vector>

namespace weft::ops {

/// x [N, C, *] normalised per (sample, group of C/groups channels) with biased variance;
/// `weight`/`bias` are [C] or undefined (then 1 and 0).
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps);

/// group_norm followed by SiLU in the same pass (ResBlock and VAE blocks always pair them).
Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps);

/// group_norm (or group_norm_silu) in two parts, for a convolution that reads its input a band of
/// rows at a time (PackedConv2d's InputRows): the statistics over the whole of x [N, C, H, W] when
/// built, then any band of rows without materialising the normalised map. Same values as the
/// whole-tensor ops. x F32 or BF16, NCHW or channels-last (the bands take its layout); keeps a
/// reference to x.
class GroupNormRows {
public:
    GroupNormRows(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps, bool silu);
    /// Rows [r0, r1) of the normalised x into `band` (F32 [N, C, r1 - r0, W], in x's layout).
    void operator()(int64_t r0, int64_t r1, Tensor& band) const;
    const Shape& shape() const { return x_.shape(); }
    bool channels_last() const { return channels_last_; }

private:
    Tensor x_;
    std::vector<float> mean_, scale_, shift_;  // per (sample, channel)
    bool silu_;
    bool channels_last_ = false;
};

/// Normalises over the last dimension (size D); `weight`/`bias` are [D] or undefined. `out` F32 or
/// BF16: a BF16 result feeds BF16 linears (q, k, v) without a conversion pass each.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, DType out = DType::F32);

}  // namespace weft::ops
