#include "families/sd1/clip_text.h"

#include <weft/error.h>

#include <algorithm>
#include <cstring>

namespace weft::nets {

ClipText ClipText::load(const WeightTable& t, const ClipTextOptions& o) {
    ClipText c;
    c.heads_ = o.heads;
    c.mode_ = o.mode;
    const Tensor& tok = t.get("embeddings.token_embedding.weight");
    c.width_ = tok.size(1);
    c.token_embedding_ = t.f32("embeddings.token_embedding.weight", tok.shape());
    const Tensor& pos = t.get("embeddings.position_embedding.weight");
    c.positions_ = pos.size(0);
    c.position_embedding_ = t.f32("embeddings.position_embedding.weight", {c.positions_, c.width_});
    if (c.width_ % c.heads_ != 0)
        throw Error(ErrorCode::ModelLoadFailed, "CLIP width " + std::to_string(c.width_) + " is not divisible by " + std::to_string(c.heads_) + " heads", t.path());
    const int64_t d = c.width_;
    const int64_t depth = count_children(t, "encoder.layers", "layer_norm1.weight");
    for (int64_t i = 0; i < depth; ++i) {
        WeightTable l = t.sub("encoder.layers." + std::to_string(i));
        const int64_t ff = l.get("mlp.fc1.weight").size(0);
        c.layers_.push_back(Layer{Norm::load(l, "layer_norm1", d, 1e-5f), Norm::load(l, "layer_norm2", d, 1e-5f),
                                  Linear::load(l, "self_attn.q_proj", d, d, true, o.mode), Linear::load(l, "self_attn.k_proj", d, d, true, o.mode),
                                  Linear::load(l, "self_attn.v_proj", d, d, true, o.mode), Linear::load(l, "self_attn.out_proj", d, d, true, o.mode),
                                  Linear::load(l, "mlp.fc1", d, ff, true, o.mode), Linear::load(l, "mlp.fc2", ff, d, true, o.mode)});
    }
    if (depth == 0) throw Error(ErrorCode::ModelLoadFailed, "no CLIP encoder layers under '" + t.prefix() + "'", t.path()).at_path(t.path());
    c.final_norm_ = Norm::load(t, "final_layer_norm", d, 1e-5f);
    return c;
}

ClipText::Output ClipText::forward(const std::vector<std::vector<int64_t>>& ids, int64_t layer, int64_t end_token) const {
    const int64_t b = static_cast<int64_t>(ids.size());
    if (b == 0) throw Error(ErrorCode::InvalidInputType, "CLIP needs at least one token sequence");
    const int64_t tokens = static_cast<int64_t>(ids[0].size());
    if (tokens > positions_) throw Error(ErrorCode::InvalidInputType, "CLIP takes at most " + std::to_string(positions_) + " tokens per chunk");
    const int64_t vocab = token_embedding_.size(0), d = width_;
    Tensor x = Tensor::zeros({b, tokens, d});
    for (int64_t i = 0; i < b; ++i) {
        if (static_cast<int64_t>(ids[i].size()) != tokens) throw Error(ErrorCode::InvalidInputType, "CLIP token sequences differ in length");
        for (int64_t j = 0; j < tokens; ++j) {
            const int64_t id = ids[i][j];
            if (id < 0 || id >= vocab) throw Error(ErrorCode::InvalidInputType, "token id " + std::to_string(id) + " outside the vocabulary");
            float* dst = x.data<float>() + (i * tokens + j) * d;
            const float* te = token_embedding_.data<float>() + id * d;
            const float* pe = position_embedding_.data<float>() + j * d;
            for (int64_t k = 0; k < d; ++k) dst[k] = te[k] + pe[k];
        }
    }
    const int64_t depth = layers();
    // Which layer's output to return: -1 = last; |layer| beyond the depth falls back to the last.
    int64_t stop = depth;
    if (layer < 0 && -layer <= depth) stop = depth + layer + 1;
    Tensor selected;
    for (int64_t i = 0; i < depth; ++i) {
        const Layer& L = layers_[i];
        Tensor h = L.ln1.layer(x);
        Tensor o = ops::attention(split_heads(L.q(h), heads_), split_heads(L.k(h), heads_), split_heads(L.v(h), heads_), {.causal = true}, mode_);
        x = L.out(merge_heads(o), x);
        x = L.fc2(ops::quick_gelu(L.fc1(L.ln2.layer(x))), x);
        if (i + 1 == stop) selected = x;
    }
    Output out;
    Tensor last = final_norm_.layer(x);
    out.hidden = stop == depth ? last : final_norm_.layer(selected);
    out.pooled = Tensor::zeros({b, d});
    for (int64_t i = 0; i < b; ++i) {
        auto it = std::find(ids[i].begin(), ids[i].end(), end_token);
        const int64_t row = it == ids[i].end() ? tokens - 1 : static_cast<int64_t>(it - ids[i].begin());
        std::memcpy(out.pooled.data<float>() + i * d, last.data<float>() + (i * tokens + row) * d, sizeof(float) * d);
    }
    return out;
}

void ClipText::visit_layers(const LayerVisitor& v) {
    for (size_t i = 0; i < layers_.size(); ++i) {
        const std::string p = "encoder.layers." + std::to_string(i) + ".";
        Layer& L = layers_[i];
        v(p + "self_attn.q_proj", L.q);
        v(p + "self_attn.k_proj", L.k);
        v(p + "self_attn.v_proj", L.v);
        v(p + "self_attn.out_proj", L.out);
        v(p + "mlp.fc1", L.fc1);
        v(p + "mlp.fc2", L.fc2);
    }
}

}  // namespace weft::nets
