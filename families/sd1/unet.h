// families/sd1/unet.h — the SD1.x/SD2.x UNet (openaimodel layout), its structure read from the keys.
//
//   UNet unet = UNet::load(WeightTable(file, "model.diffusion_model."), {.heads = 8});
//   Tensor eps = unet.forward(x, timesteps, context);   // x [B,4,h,w], timesteps [B], context [B,T,768]
//
// Input/output blocks are read as they are stored: each numbered block is a sequence of a ResBlock,
// a SpatialTransformer, a Downsample or an Upsample, recognised by their keys, so reduced test
// configurations and the full SD1.5 share this code. Heavy: call from one thread at a time.
#pragma once

#include "blocks/spatial_transformer.h"
#include "sampling/diffusion_network.h"

#include <memory>
#include <vector>

namespace weft::nets {

struct UNetOptions {
    int64_t heads = 8;  // SD1.x: 8 heads at every level (the head width grows with the channels)
    ops::Compute mode = ops::Compute::F32;
};

struct ResBlock {
    Norm in_norm, out_norm;
    Conv in_conv, out_conv;
    Linear emb;
    std::optional<Conv> skip;  // 1x1 conv when channels change
    int64_t out_channels = 0;

    static ResBlock load(const WeightTable& t, int64_t in, int64_t emb_dim, ops::Compute mode);
    Tensor forward(const Tensor& x, const Tensor& emb_silu) const;
    /// in_layers.2, emb_layers.1, out_layers.3, skip_connection under `prefix` ("input_blocks.1.0.").
    void visit_layers(const std::string& prefix, const LayerVisitor& v);
};

using models::ControlResiduals;

class UNet final : public models::DiffusionNetwork {
public:
    static UNet load(const WeightTable& t, const UNetOptions& options = {});

    /// eps (or v) prediction for x at `timesteps` (float, one per batch item) given `context`.
    Tensor forward(const Tensor& x, const Tensor& timesteps, const Tensor& context,
                   const ControlResiduals* control = nullptr) const override;

    int64_t in_channels() const override { return in_channels_; }
    int64_t model_channels() const { return model_channels_; }
    int64_t context_dim() const { return context_dim_; }
    size_t input_block_count() const { return input_.size(); }

    /// Visits every linear and convolution by its key ("input_blocks.1.1.proj_in", "time_embed.0",
    /// "output_blocks.2.1.conv"). Each numbered-block layer is copied first (its weights stay
    /// shared), so calling this on a copy of a UNet leaves the original untouched: a LoRA'd model
    /// is a structural copy of its base.
    void visit_layers(const LayerVisitor& v);

    struct Layer;  // one entry of a numbered block

private:
    int64_t in_channels_ = 4, model_channels_ = 320, context_dim_ = 768;
    Linear time1_, time2_;
    std::vector<std::vector<std::shared_ptr<Layer>>> input_, output_;
    std::vector<std::shared_ptr<Layer>> middle_;
    Norm out_norm_;
    Conv out_conv_;
};

/// One numbered block ("input_blocks.N", "middle_block", "output_blocks.N") as stored: its
/// layers in order. Shared with the ControlNet, whose encoder has the UNet's layout.
using UNetBlock = std::vector<std::shared_ptr<UNet::Layer>>;
/// Reads the block under `t`; `channels` is its input width on entry and its output width after.
UNetBlock load_unet_block(const WeightTable& t, int64_t& channels, int64_t emb_dim, const UNetOptions& o);
/// Runs a block; `emb_silu` = SiLU(time embedding); Upsample layers resize to `upsample_to`'s
/// spatial size when given (odd skip sizes), else double.
Tensor run_unet_block(const UNetBlock& block, Tensor h, const Tensor& emb_silu, const Tensor& context, const Shape* upsample_to);

/// ComfyUI's sinusoidal timestep embedding: [cos(t·f_i), sin(t·f_i)], f_i = 10000^(-i/half).
Tensor timestep_embedding(const Tensor& timesteps, int64_t dim);

}  // namespace weft::nets
