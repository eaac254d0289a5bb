// blocks/tiled_scale.h — runs an image-to-image function tile by tile and blends the tiles
// with feathered overlaps (ComfyUI's tiled_scale), so a model sees at most tile×tile pixels at once.
//
//   TileOptions o{.tile_h = 512, .tile_w = 512, .overlap = 32, .scale = 4, .out_channels = 3};
//   Tensor y = tiled_scale(x, [&](const Tensor& t) { return net.forward(t); }, o,
//                          [&](int64_t done, int64_t total) { report(done, total); });
//
// Per batch item: an image that fits one tile is passed whole. Otherwise tiles start every
// tile − overlap pixels along each side (the last start clamped so a tile never begins past
// size − overlap), each result lands at round(start·scale), and is weighted by a mask that ramps
// (t+1)/f over the first and last f = round(overlap·scale) rows and columns; the output is
// Σ tile·mask / Σ mask.
#pragma once

#include <weft/tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace weft::upscale {

struct TileOptions {
    int64_t tile_h = 512;
    int64_t tile_w = 512;
    int64_t overlap = 32;
    double scale = 4.0;
    int64_t out_channels = 3;
};

/// Tile start positions along one side of `size` pixels.
std::vector<int64_t> tile_starts(int64_t size, int64_t tile, int64_t overlap);

/// Number of function calls tiled_scale makes for a [N, C, H, W] input.
int64_t tiled_scale_steps(const Shape& input, const TileOptions& o);

/// x [N, C, H, W] F32 -> [N, out_channels, round(H·scale), round(W·scale)]. `fn` maps a
/// [1, C, h, w] tile to [1, out_channels, round(h·scale), round(w·scale)]. `on_tile(done, total)`
/// is called after each call of `fn` (it may throw to stop, e.g. weft::Cancelled).
Tensor tiled_scale(const Tensor& x, const std::function<Tensor(const Tensor&)>& fn, const TileOptions& o,
                   const std::function<void(int64_t, int64_t)>& on_tile = {});

}  // namespace weft::upscale
