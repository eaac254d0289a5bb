// families/sd1/control_hint.h — the hint image as ControlNets and T2I-adapters receive it
// (ComfyUI's ControlBase.get_control): resized to 8x the latent with a centre crop, and its batch
// matched to the rows of one model evaluation.
#pragma once

#include <weft/tensor.h>

#include <cstdint>

namespace weft::models {

/// `hint` [B, C, H, W] resized to [B, C, height, width]: comfy.utils.common_upscale with
/// "nearest-exact" and crop "center" (the aspect ratio is matched by cropping, then resized).
/// Values are not normalised: SD1 ControlNets take 0..1 RGB.
Tensor resize_control_hint(const Tensor& hint, int64_t width, int64_t height);

/// ComfyUI's broadcast_image_to: a batch of one is kept (it broadcasts); otherwise the first
/// batch / batched_number images, repeated cyclically to that count, then the whole repeated
/// batched_number times (one copy per conditioning entry stacked in the evaluation).
Tensor broadcast_control_hint(const Tensor& hint, int64_t batch, int64_t batched_number);

}  // namespace weft::models
