// blocks/spatial_transformer.h — the SD UNet's attention block: GroupNorm, proj_in, transformer
// blocks (self-attention, cross-attention to the text, GEGLU feed-forward), proj_out, residual.
#pragma once

#include "blocks/layers.h"

#include <vector>

namespace weft::nets {

struct CrossAttention {
    Linear to_q, to_k, to_v, to_out;
    int64_t heads = 8;

    static CrossAttention load(const WeightTable& t, int64_t dim, int64_t context_dim, int64_t heads, ops::Compute mode);
    /// x [B, T, dim]; context [B, Tc, context_dim] (x itself for self-attention); returns x + attn.
    Tensor forward(const Tensor& x_norm, const Tensor& context, const Tensor& residual, ops::Compute mode) const;
    /// `prefix` ends with '.' ("...attn1."); keys as stored: to_q, to_k, to_v, to_out.0.
    void visit_layers(const std::string& prefix, const LayerVisitor& v);
};

struct TransformerBlock {
    Norm norm1, norm2, norm3;
    CrossAttention attn1, attn2;
    Linear ff_in, ff_out;

    static TransformerBlock load(const WeightTable& t, int64_t dim, int64_t context_dim, int64_t heads, ops::Compute mode);
    Tensor forward(const Tensor& x, const Tensor& context, ops::Compute mode) const;
    void visit_layers(const std::string& prefix, const LayerVisitor& v);
};

struct SpatialTransformer {
    Norm norm;
    Linear proj_in, proj_out;  // 1x1 convs (SD1) or linears (SD2/SDXL): both act per token
    std::vector<TransformerBlock> blocks;
    int64_t channels = 0;
    ops::Compute mode = ops::Compute::F32;

    /// `t` is the block's table (e.g. "input_blocks.1.1."); depth and context width come from keys.
    static SpatialTransformer load(const WeightTable& t, int64_t channels, int64_t heads, ops::Compute mode);
    Tensor forward(const Tensor& x, const Tensor& context) const;
    /// Visits proj_in, proj_out and every transformer block's linears under `prefix` ("input_blocks.1.1.").
    void visit_layers(const std::string& prefix, const LayerVisitor& v);
};

}  // namespace weft::nets
