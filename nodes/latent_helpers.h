// nodes/latent_helpers.h — facts and helpers the LATENT nodes share.
#pragma once

#include <weft/tensor.h>

#include <cstdint>

namespace weft::nodes {

/// SD1.x/SDXL latents: 4 channels, 8 pixels per latent cell (EmptyLatentImage's layout).
inline constexpr int64_t kLatentChannels = 4;
inline constexpr int64_t kLatentScale = 8;

/// comfy_extras.nodes_latent.reshape_latent_to: `latent` resized (bilinear, centre crop) to the
/// spatial size of `target` when their shapes past the batch differ, then (when `repeat_batch`)
/// repeated or cut to the target's batch. Both are [B,C,H,W].
Tensor reshape_latent_to(const Tensor& target, const Tensor& latent, bool repeat_batch = true);

}  // namespace weft::nodes
