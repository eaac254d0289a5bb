// nodes/vae_pixels.h — IMAGE <-> VAE tensors as comfy.sd.VAE prepares them, shared by the
// inpainting and tiled VAE nodes.
#pragma once

#include "families/sd1/checkpoint.h"

#include <weft/node.h>
#include <weft/tensor.h>

namespace weft::nodes {

/// vae_encode_crop_pixels: IMAGE [B,H,W,C] cropped (centred) to multiples of `factor`, first 3
/// channels, F32. Throws (naming `input`) for non-images or images smaller than the factor.
Tensor crop_pixels_for_vae(NodeContext& ctx, const char* input, const Tensor& pixels, int64_t factor);

/// VAE.encode: the latent means [B, C, H/f, W/f] of an IMAGE, one sample at a time.
Tensor encode_pixels(NodeContext& ctx, const char* input, const models::Autoencoder& vae, const Tensor& pixels);

/// The LATENT input `input`'s samples, checked to be [B, C, h, w] with the VAE's channel count
/// (throws naming the node and input otherwise).
const Tensor& latent_for_vae(NodeContext& ctx, const char* input, const models::Autoencoder& vae);

/// IMAGE [B,H,W,3] in 0..1 -> the VAE's input [B,3,H,W] in -1..1.
Tensor pixels_to_vae_input(const Tensor& pixels);

/// The decoder's raw output [B,3,H,W] -> IMAGE [B,H,W,3], clamp((x + 1) / 2, 0, 1).
Tensor vae_output_to_image(const Tensor& raw);

}  // namespace weft::nodes
