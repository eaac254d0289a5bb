// tensor/ops/matmul.h — matrix products through oneDNN, and linear layers with pre-packed weights.
//
//   ops::PackedLinear to_q(weight, {}, ops::Compute::BF16);   // once per model load: weight [out, in]
//   Tensor q = to_q(tokens);                                   // tokens [B, T, in] -> [B, T, out]
//   Tensor s = ops::matmul(a, b);                              // [.., M, K] x [.., K, N]
//
// PackedLinear reorders the weight once into the layout oneDNN's kernels prefer and keeps one
// primitive per row count it has seen. Copies share the packed weight. Heavy op: see compute.h for
// the threading rule.
#pragma once

#include "compute.h"

#include <weft/tensor.h>

#include <memory>

namespace weft::ops {

/// a [..., M, K] x b [..., K, N] -> [..., M, N] (F32). Batch dims broadcast (numpy rules); a 2-D
/// operand is shared by every batch entry. Inputs may be strided views, F32 or BF16 (a BF16 input
/// skips the conversion in BF16 mode).
Tensor matmul(const Tensor& a, const Tensor& b, Compute mode = Compute::F32);

/// x [..., in] · weightᵀ + bias -> [..., out]; weight [out, in]; bias [out] or undefined. Packs the
/// weight for this one call; use PackedLinear for weights that are applied more than once.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Compute mode = Compute::F32);

class PackedLinear {
public:
    PackedLinear() = default;
    /// weight [out, in] (F32, F16 or BF16; converted once); bias [out] (any float dtype) or undefined.
    PackedLinear(const Tensor& weight, const Tensor& bias, Compute mode = Compute::F32);

    /// x [..., in] F32 or BF16 -> [..., out] F32. In BF16 mode a BF16 x is used as is; an F32 x
    /// costs one conversion pass, so an x shared by several layers is best converted once.
    Tensor operator()(const Tensor& x) const;

    /// x·Wᵀ + b + residual in one pass (residual F32, shaped like the output): the transformer's
    /// `x = x + to_out(h)` without a separate add.
    Tensor operator()(const Tensor& x, const Tensor& residual) const;

    bool defined() const { return impl_ != nullptr; }
    int64_t in_features() const;
    int64_t out_features() const;
    Compute mode() const;

    struct Impl;

private:
    Tensor run(const Tensor& x, const Tensor& residual) const;
    std::shared_ptr<Impl> impl_;
};

}  // namespace weft::ops
