// blocks/layers.h — the layers every network here is built from, loaded from a WeightTable
// with shape checks: linear, conv, group/layer norm parameters, multi-head attention.
#pragma once

#include "blocks/weight_table.h"
#include "tensor/ops/ops.h"

#include <weft/tensor.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace weft::nets {

/// What a LoRA adds to a linear layer's output (models/lora): up(down(x)), the strength and
/// alpha/rank folded into `up`. Without `down`, `up` is a dense weight delta (LoHa, LoKr).
/// The factors are packed for oneDNN on first use, not when the LoRA is applied: trying another
/// strength costs no packing until the model runs (and only once per adapter then).
class LinearAdapter {
public:
    /// down F32 [r, in] or undefined; up F32 [out, r] (or the dense delta [out, in]).
    LinearAdapter(Tensor down, Tensor up, ops::Compute mode) : down_w_(std::move(down)), up_w_(std::move(up)), mode_(mode) {}
    /// y + up(down(x)).
    Tensor add_to(Tensor y, const Tensor& x) const;

private:
    void pack() const;
    mutable Tensor down_w_, up_w_;
    ops::Compute mode_;
    mutable std::once_flag packed_;
    mutable ops::PackedLinear down_, up_;
};

/// The same for a convolution: `down` has the layer's kernel, stride and padding, `up` is 1x1
/// (or, without `down`, `up` is a dense delta kernel with the layer's stride and padding).
class ConvAdapter {
public:
    ConvAdapter(Tensor down, Tensor up, ops::Conv2dParams params, ops::Compute mode)
        : down_w_(std::move(down)), up_w_(std::move(up)), params_(params), mode_(mode) {}
    Tensor add_to(Tensor y, const Tensor& x) const;

private:
    void pack() const;
    mutable Tensor down_w_, up_w_;
    ops::Conv2dParams params_;
    ops::Compute mode_;
    mutable std::once_flag packed_;
    mutable ops::PackedConv2d down_, up_;
};

struct Linear {
    ops::PackedLinear fc;
    // Adapters are shared, like `fc`'s packed weight, so copying a patched model copies pointers.
    std::vector<std::shared_ptr<const LinearAdapter>> adapters;

    /// `name`.weight [out, in] (+ `name`.bias [out] when `bias`).
    static Linear load(const WeightTable& t, const std::string& name, int64_t in, int64_t out, bool bias, ops::Compute mode);
    /// A 1x1 convolution stored as [out, in, 1, 1] (or [out, in]) used as a linear over channels.
    static Linear load_pointwise(const WeightTable& t, const std::string& name, int64_t in, int64_t out, ops::Compute mode);
    Tensor operator()(const Tensor& x) const { return adapters.empty() ? fc(x) : adapted(fc(x), x); }
    Tensor operator()(const Tensor& x, const Tensor& residual) const { return adapters.empty() ? fc(x, residual) : adapted(fc(x, residual), x); }

private:
    Tensor adapted(Tensor y, const Tensor& x) const;
};

struct Conv {
    ops::PackedConv2d conv;

    /// `name`.weight [out, in, k, k] and `name`.bias [out].
    static Conv load(const WeightTable& t, const std::string& name, int64_t in, int64_t out, int64_t k, ops::Conv2dParams p,
                     ops::Compute mode);
    std::vector<std::shared_ptr<const ConvAdapter>> adapters;

    /// x F32 or BF16, NCHW or channels-last; the result in `out` (F32 or BF16), channels-last when
    /// `out_channels_last` (ops::PackedConv2d).
    Tensor operator()(const Tensor& x, DType out = DType::F32, bool out_channels_last = false) const {
        return adapters.empty() ? conv(x, out, out_channels_last) : adapted(conv(x), x).to(out);
    }
    /// The convolution of an input produced a band of rows at a time by `rows` (Norm::group_silu_rows,
    /// ops::UpsampleNearestRows: anything with shape(), channels_last() and the call of InputRows),
    /// so that the input is never held whole.
    template <class Rows> Tensor operator()(const Rows& rows, DType out = DType::F32, bool out_channels_last = false) const {
        return banded(rows.shape(), rows, rows.channels_last(), out, out_channels_last);
    }
    int64_t out_channels() const { return conv.out_channels(); }

private:
    Tensor adapted(Tensor y, const Tensor& x) const;
    Tensor banded(const Shape& input, const ops::PackedConv2d::InputRows& rows, bool rows_channels_last, DType out,
                  bool out_channels_last) const;
};

/// Visits the linear and convolution layers of a network by the stem of their weight's key
/// relative to the network's prefix ("input_blocks.1.1.proj_in", "encoder.layers.0.mlp.fc1"),
/// so LoRAs can be attached to a copy of the network. Either function may be empty.
struct LayerVisitor {
    std::function<void(const std::string& key, Linear&)> linear;
    std::function<void(const std::string& key, Conv&)> conv;

    void operator()(const std::string& key, Linear& l) const { if (linear) linear(key, l); }
    void operator()(const std::string& key, Conv& c) const { if (conv) conv(key, c); }
};

struct Norm {
    Tensor weight, bias;  // F32 [C]
    float eps = 1e-5f;
    int64_t groups = 32;  // group norm only

    static Norm load(const WeightTable& t, const std::string& name, int64_t channels, float eps, int64_t groups = 32);
    Tensor group(const Tensor& x) const { return ops::group_norm(x, groups, weight, bias, eps); }
    Tensor group_silu(const Tensor& x) const { return ops::group_norm_silu(x, groups, weight, bias, eps); }
    /// group_silu by bands of rows, as a convolution's input (x [N, C, H, W]).
    ops::GroupNormRows group_silu_rows(const Tensor& x) const { return {x, groups, weight, bias, eps, true}; }
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
