// families/sd1/clip_text.h — the CLIP text transformer (SD1: ViT-L/14 text, 12 layers x 768).
//
//   ClipText clip = ClipText::load(WeightTable(file, "cond_stage_model.transformer.text_model."), {.heads = 12});
//   ClipText::Output o = clip.forward(ids, -1);   // ids [B, 77] -> hidden [B, 77, 768], pooled [B, 768]
//
// Heavy: call from one thread at a time.
#pragma once

#include "blocks/layers.h"

#include <vector>

namespace weft::nets {

struct ClipTextOptions {
    int64_t heads = 12;
    ops::Compute mode = ops::Compute::F32;
};

class ClipText {
public:
    static ClipText load(const WeightTable& t, const ClipTextOptions& options = {});

    struct Output {
        Tensor hidden;  // [B, T, D]: the selected layer, after the final layer norm
        Tensor pooled;  // [B, D]: final-norm'd last layer at each row's first end token
    };

    /// `layer` counts like CLIPSetLastLayer: -1 = last layer, -2 = the one before, ...; values
    /// beyond the depth fall back to the last layer. `end_token` locates the pooled row.
    Output forward(const std::vector<std::vector<int64_t>>& ids, int64_t layer = -1, int64_t end_token = 49407) const;

    int64_t width() const { return width_; }
    int64_t layers() const { return static_cast<int64_t>(layers_.size()); }
    int64_t positions() const { return positions_; }

    /// Visits every encoder layer's linears by key ("encoder.layers.0.self_attn.q_proj",
    /// "encoder.layers.0.mlp.fc1"); call on a copy to attach LoRAs (weights stay shared).
    void visit_layers(const LayerVisitor& v);

private:
    struct Layer {
        Norm ln1, ln2;
        Linear q, k, v, out, fc1, fc2;
    };
    Tensor token_embedding_, position_embedding_;  // F32 [V, D], [P, D]
    std::vector<Layer> layers_;
    Norm final_norm_;
    int64_t width_ = 768, positions_ = 77, heads_ = 12;
    ops::Compute mode_ = ops::Compute::F32;
};

}  // namespace weft::nets
