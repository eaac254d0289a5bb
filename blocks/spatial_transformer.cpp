#include "blocks/spatial_transformer.h"

namespace weft::nets {

CrossAttention CrossAttention::load(const WeightTable& t, int64_t dim, int64_t context_dim, int64_t heads, ops::Compute mode) {
    return CrossAttention{Linear::load(t, "to_q", dim, dim, false, mode), Linear::load(t, "to_k", context_dim, dim, false, mode),
                          Linear::load(t, "to_v", context_dim, dim, false, mode), Linear::load(t, "to_out.0", dim, dim, true, mode), heads};
}

Tensor CrossAttention::forward(const Tensor& x_norm, const Tensor& context, const Tensor& residual, ops::Compute mode) const {
    Tensor q = split_heads(to_q(x_norm), heads);
    Tensor k = split_heads(to_k(context), heads);
    Tensor v = split_heads(to_v(context), heads);
    Tensor o = merge_heads(ops::attention(q, k, v, {}, mode));
    return to_out(o, residual);
}

void CrossAttention::visit_layers(const std::string& prefix, const LayerVisitor& v) {
    v(prefix + "to_q", to_q);
    v(prefix + "to_k", to_k);
    v(prefix + "to_v", to_v);
    v(prefix + "to_out.0", to_out);
}

TransformerBlock TransformerBlock::load(const WeightTable& t, int64_t dim, int64_t context_dim, int64_t heads, ops::Compute mode) {
    return TransformerBlock{Norm::load(t, "norm1", dim, 1e-5f),
                            Norm::load(t, "norm2", dim, 1e-5f),
                            Norm::load(t, "norm3", dim, 1e-5f),
                            CrossAttention::load(t.sub("attn1"), dim, dim, heads, mode),
                            CrossAttention::load(t.sub("attn2"), dim, context_dim, heads, mode),
                            Linear::load(t, "ff.net.0.proj", dim, dim * 8, true, mode),
                            Linear::load(t, "ff.net.2", dim * 4, dim, true, mode)};
}

Tensor TransformerBlock::forward(const Tensor& x, const Tensor& context, ops::Compute mode) const {
    Tensor h = norm1.layer(x);
    Tensor y = attn1.forward(h, h, x, mode);
    y = attn2.forward(norm2.layer(y), context, y, mode);
    return ff_out(ops::geglu(ff_in(norm3.layer(y))), y);
}

void TransformerBlock::visit_layers(const std::string& prefix, const LayerVisitor& v) {
    attn1.visit_layers(prefix + "attn1.", v);
    attn2.visit_layers(prefix + "attn2.", v);
    v(prefix + "ff.net.0.proj", ff_in);
    v(prefix + "ff.net.2", ff_out);
}

SpatialTransformer SpatialTransformer::load(const WeightTable& t, int64_t channels, int64_t heads, ops::Compute mode) {
    SpatialTransformer st;
    st.channels = channels;
    st.mode = mode;
    st.norm = Norm::load(t, "norm", channels, 1e-6f);
    st.proj_in = Linear::load_pointwise(t, "proj_in", channels, channels, mode);
    st.proj_out = Linear::load_pointwise(t, "proj_out", channels, channels, mode);
    const int64_t depth = count_children(t, "transformer_blocks", "norm1.weight");
    const int64_t context_dim = t.get("transformer_blocks.0.attn2.to_k.weight").size(1);
    for (int64_t i = 0; i < depth; ++i)
        st.blocks.push_back(TransformerBlock::load(t.sub("transformer_blocks." + std::to_string(i)), channels, context_dim, heads, mode));
    return st;
}

Tensor SpatialTransformer::forward(const Tensor& x, const Tensor& context) const {
    const int64_t h = x.size(2), w = x.size(3);
    Tensor tokens = proj_in(to_tokens(norm.group(x)));
    for (const TransformerBlock& b : blocks) tokens = b.forward(tokens, context, mode);
    return ops::add(from_tokens(proj_out(tokens), h, w), x);
}

void SpatialTransformer::visit_layers(const std::string& prefix, const LayerVisitor& v) {
    v(prefix + "proj_in", proj_in);
    v(prefix + "proj_out", proj_out);
    for (size_t i = 0; i < blocks.size(); ++i) blocks[i].visit_layers(prefix + "transformer_blocks." + std::to_string(i) + ".", v);
}

}  // namespace weft::nets
