// models/nets/layers.h — the layers every network here is built from, loaded from a WeightTable
// with shape checks: linear, conv, group/layer norm parameters, multi-head attention.
#pragma once

#include "models/nets/weight_table.h"
#include "tensor/ops/ops.h"

#include <weft/tensor.h>

#include <optional>
#include <string>

namespace weft::nets {

struct Linear {
    ops::PackedLinear fc;

    /// `name`.weight [out, in] (+ `name`.bias [out] when `bias`).
    static Linear load(const WeightTable& t, const std::string& name, int64_t in, int64_t out, bool bias, ops::Compute mode);
    /// A 1x1 convolution stored as [out, in, 1, 1] (or [out, in]) used as a linear over channels.
    static Linear load_pointwise(const WeightTable& t, const std::string& name, int64_t in, int64_t out, ops::Compute mode);
    Tensor operator()(const Tensor& x) const { return fc(x); }
    Tensor operator()(const Tensor& x, const Tensor& residual) const { return fc(x, residual); }
};

struct Conv {
    ops::PackedConv2d conv;

    /// `name`.weight [out, in, k, k] and `name`.bias [out].
    static Conv load(const WeightTable& t, const std::string& name, int64_t in, int64_t out, int64_t k, ops::Conv2dParams p,
                     ops::Compute mode);
    Tensor operator()(const Tensor& x) const { return conv(x); }
    int64_t out_channels() const { return conv.out_channels(); }
};

struct Norm {
    Tensor weight, bias;  // F32 [C]
    float eps = 1e-5f;
    int64_t groups = 32;  // group norm only

    static Norm load(const WeightTable& t, const std::string& name, int64_t channels, float eps, int64_t groups = 32);
    Tensor group(const Tensor& x) const { return ops::group_norm(x, groups, weight, bias, eps); }
    Tensor group_silu(const Tensor& x) const { return ops::group_norm_silu(x, groups, weight, bias, eps); }
    Tensor layer(const Tensor& x) const { return ops::layer_norm(x, weight, bias, eps); }
};

/// Number of `prefix.K.` children present (K = 0, 1, ...).
int64_t count_children(const WeightTable& t, const std::string& prefix, const std::string& probe);

/// Splits [B, T, heads*d] into [B, heads, T, d] (a view) for ops::attention.
Tensor split_heads(const Tensor& x, int64_t heads);
/// Merges attention's [B, heads, T, d] result into [B, T, heads*d].
Tensor merge_heads(const Tensor& x);

/// [B, C, H, W] -> [B, H*W, C] (contiguous).
Tensor to_tokens(const Tensor& x);
/// [B, H*W, C] -> [B, C, H, W] (contiguous).
Tensor from_tokens(const Tensor& t, int64_t h, int64_t w);

}  // namespace weft::nets
