// models/nets/unet.h — the SD1.x/SD2.x UNet (openaimodel layout), its structure read from the keys.
//
//   UNet unet = UNet::load(WeightTable(file, "model.diffusion_model."), {.heads = 8});
//   Tensor eps = unet.forward(x, timesteps, context);   // x [B,4,h,w], timesteps [B], context [B,T,768]
//
// Input/output blocks are read as they are stored: each numbered block is a sequence of a ResBlock,
// a SpatialTransformer, a Downsample or an Upsample, recognised by their keys, so reduced test
// configurations and the full SD1.5 share this code. Heavy: call from one thread at a time.
#pragma once

#include "models/nets/spatial_transformer.h"

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
};

/// What a ControlNet or T2I-adapter adds inside the UNet (ComfyUI's control dict), indexed by
/// input block: `input[i]` is added to input block i's output before it is kept as a skip
/// (T2I-adapters), `skip[i]` to skip i when an output block takes it (ControlNet), `middle` to
/// the middle block's output. Undefined tensors and missing entries add nothing.
struct ControlResiduals {
    std::vector<Tensor> input, skip;
    Tensor middle;
    bool empty() const { return input.empty() && skip.empty() && !middle.defined(); }
};

class UNet {
public:
    static UNet load(const WeightTable& t, const UNetOptions& options = {});

    /// eps (or v) prediction for x at `timesteps` (float, one per batch item) given `context`.
    Tensor forward(const Tensor& x, const Tensor& timesteps, const Tensor& context, const ControlResiduals* control = nullptr) const;

    int64_t in_channels() const { return in_channels_; }
    int64_t model_channels() const { return model_channels_; }
    int64_t context_dim() const { return context_dim_; }
    size_t input_block_count() const { return input_.size(); }

    struct Layer;  // one entry of a numbered block

private:
    int64_t in_channels_ = 4, model_channels_ = 320, context_dim_ = 768;
    Linear time1_, time2_;
    std::vector<std::vector<std::shared_ptr<Layer>>> input_, output_;
    std::vector<std::shared_ptr<Layer>> middle_;
    Norm out_norm_;
    Conv out_conv_;
};

/// ComfyUI's sinusoidal timestep embedding: [cos(t·f_i), sin(t·f_i)], f_i = 10000^(-i/half).
Tensor timestep_embedding(const Tensor& timesteps, int64_t dim);

}  // namespace weft::nets
