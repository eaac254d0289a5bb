// families/sd1/controlnet.h — the SD1.x ControlNet network (ComfyUI's cldm.ControlNet): a copy of the
// UNet's encoder (time embedding, input blocks, middle block) that also sees a hint image through
// `input_hint_block`, and emits one residual per input block (`zero_convs.N.0`, 1x1) plus one for
// the middle block (`middle_block_out.0`).
//
//   ControlNet cn = ControlNet::load(WeightTable(file, "control_model."), {.heads = 8});
//   ControlResiduals r = cn.forward(x_in, hint, timesteps, context);   // hint [B, 3, 8h, 8w] in 0..1
//   Tensor eps = unet.forward(x_in, timesteps, context, &r);
//
// The residuals are unscaled (strength is the caller's). The block structure is read from the keys
// with the UNet's own block loader, so reduced test networks and the full SD1.5 ControlNet share
// this code. Heavy: call from one thread at a time.
#pragma once

#include "families/sd1/unet.h"

#include <vector>

namespace weft::nets {

class ControlNet {
public:
    /// `t` holds the keys without their file prefix ("input_blocks.0.0.weight", "zero_convs.0.0.weight", ...).
    static ControlNet load(const WeightTable& t, const UNetOptions& options = {});

    /// `x` [B, C, h, w] is the UNet's input (c_in * x), `hint` [B, hint_channels, 8h, 8w], `timesteps`
    /// [B], `context` [B, T, context_dim]. Returns skip[i] for every input block and middle.
    ControlResiduals forward(const Tensor& x, const Tensor& hint, const Tensor& timesteps, const Tensor& context) const;

    int64_t in_channels() const { return in_channels_; }
    int64_t hint_channels() const { return hint_channels_; }
    int64_t model_channels() const { return model_channels_; }
    /// Width of the text context the cross-attention takes (0 when the net has no attention).
    int64_t context_dim() const { return context_dim_; }
    size_t input_block_count() const { return input_.size(); }

private:
    int64_t in_channels_ = 4, hint_channels_ = 3, model_channels_ = 320, context_dim_ = 0;
    Linear time1_, time2_;
    std::vector<Conv> hint_;  // input_hint_block: 3x3 convs with SiLU between them
    std::vector<UNetBlock> input_;
    std::vector<Conv> zero_;  // one 1x1 conv per input block
    UNetBlock middle_;
    Conv middle_out_;
};

}  // namespace weft::nets
