// families/sd1/vae_tiling.h — the VAE's tiled decode / encode (comfy.sd.VAE.decode_tiled_ /
// encode_tiled_, sd-models.md §9.2): three passes of ComfyUI's feathered tiled_scale
// (models/upscale/tiled_scale.h) with differently shaped tiles, averaged.
//
//   Tensor raw = vae_decode_tiled(vae, z, 64, 64, 8);   // z [B,4,h,w] -> decoder output [B,3,8h,8w]
#pragma once

#include "families/sd1/vae.h"

#include <weft/tensor.h>

#include <functional>

namespace weft::models {

/// Called after each tile (progress, cancellation); may be empty.
using TileProgress = std::function<void()>;

/// decode_tiled_: the decoder's raw output (about -1..1) for z [B, C, h, w], averaging passes with
/// latent tiles (tile_y*2 x tile_x/2), (tile_y/2 x tile_x*2) and (tile_y x tile_x).
Tensor vae_decode_tiled(const nets::Vae& vae, const Tensor& z, int64_t tile_x, int64_t tile_y, int64_t overlap, const TileProgress& progress = {});

/// encode_tiled_: latent means for x [B, 3, H, W] in -1..1 (pixel tiles and overlap), averaging
/// passes with tiles (tile_y x tile_x), (tile_y/2 x tile_x*2) and (tile_y*2 x tile_x/2).
Tensor vae_encode_tiled(const nets::Vae& vae, const Tensor& x, int64_t tile_x, int64_t tile_y, int64_t overlap, const TileProgress& progress = {});

}  // namespace weft::models
