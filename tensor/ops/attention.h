// tensor/ops/attention.h — scaled dot-product attention, softmax(q·kᵀ·scale)·v, per batch and head.
//
//   Tensor o = ops::attention(q, k, v);        // q [B, H, Tq, d], k [B, H, Tk, d], v [B, H, Tk, dv]
//   Tensor t = o.permute({0, 2, 1, 3}).reshape({B, Tq, H * dv});   // free: see below
//
// The Tq×Tk score matrix is never materialised: queries are processed in blocks, keys in blocks,
// with an online (running max / running sum) softmax; block products run through oneDNN matmul,
// one block per OpenMP thread. Inputs may be strided views whose last dimension is contiguous, e.g.
// a [B, T, H, d] projection permuted to [B, H, T, d]. The result has shape [B, H, Tq, dv] and is
// stored token-major ([B, Tq, H, dv] in memory), so merging heads back is a view, not a copy.
// q, k, v may be F32 or BF16. Heavy op: see compute.h for the threading rule.
#pragma once

#include "compute.h"

#include <weft/tensor.h>

namespace weft::ops {

struct AttentionParams {
    float scale = 0.0f;    // 0: 1/sqrt(d)
    bool causal = false;   // query i sees keys j <= i (top-left aligned, as PyTorch's is_causal)
};

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionParams& p = {},
                 Compute mode = Compute::F32);

}  // namespace weft::ops
