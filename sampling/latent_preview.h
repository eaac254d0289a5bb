// sampling/latent_preview.h — ComfyUI's Latent2RGB preview of a sampler step: a fixed 4x3
// linear map from latent channels to RGB, no network (sd-models.md §9.3).
//
//   StepCallback cb = [&](const StepInfo& s) { publish(latent_preview_rgb(*s.denoised)); };
//
// Thread safety: pure functions.
#pragma once

#include <weft/tensor.h>

namespace weft::models {

/// SD1.5's Latent2RGB factors, one row (R, G, B) per latent channel; SD1.5 has no bias.
inline constexpr float kSd15LatentRgbFactors[4][3] = {
    {0.3512f, 0.2297f, 0.3227f},
    {0.3250f, 0.4974f, 0.2350f},
    {-0.2829f, 0.1762f, 0.2721f},
    {-0.2120f, -0.2616f, -0.7177f},
};

/// The largest side of a preview (ComfyUI's --preview-size default).
inline constexpr int kMaxPreviewSide = 512;

/// The preview of batch item 0 of `x0` ([B, 4, H, W], the sampler's denoised prediction in model
/// space, i.e. scaled latents; any float dtype): rgb = x0ᵀ · factors, then
/// ((rgb + 1) / 2).clamp(0, 1) · 255 truncated to U8 as torch's uint8 cast does. Returns U8
/// [H, W, 3]; when max(H, W) > `max_side`, shrunk (bilinear with antialiasing, as Pillow resizes)
/// to fit `max_side`, keeping the aspect ratio. Throws weft::Error for another shape.
Tensor latent_preview_rgb(const Tensor& x0, int max_side = kMaxPreviewSide);

/// Shrinks a U8 [H, W, C] image to `out_h` x `out_w` with Pillow's antialiased bilinear filter
/// (a triangle whose support grows with the reduction). Also works for enlarging.
Tensor resize_u8_bilinear(const Tensor& image, int64_t out_h, int64_t out_w);

}  // namespace weft::models
