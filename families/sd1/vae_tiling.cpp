// families/sd1/vae_tiling.cpp — the VAE's three-pass tiled decode / encode.
#include "families/sd1/vae_tiling.h"

#include "sampling/tensor_math.h"
#include "blocks/tiled_scale.h"
#include "tensor/ops/ops.h"

#include <weft/error.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace weft::models {

namespace {

/// One pass of tiled_scale with tiles of tile_h x tile_w.
Tensor pass(const Tensor& x, const std::function<Tensor(const Tensor&)>& fn, int64_t tile_h, int64_t tile_w, int64_t overlap, double scale,
            int64_t channels, const TileProgress& progress) {
    upscale::TileOptions o{.tile_h = tile_h, .tile_w = tile_w, .overlap = overlap, .scale = scale, .out_channels = channels};
    return upscale::tiled_scale(tm::f32(x), fn, o, [&](int64_t, int64_t) {
        if (progress) progress();
    });
}

}  // namespace

Tensor vae_decode_tiled(const nets::Vae& vae, const Tensor& z, int64_t tile_x, int64_t tile_y, int64_t overlap, const TileProgress& progress) {
    const std::function<Tensor(const Tensor&)> decode = [&](const Tensor& t) { return vae.decode(t); };
    const double up = static_cast<double>(vae.downscale());
    const Tensor a = pass(z, decode, tile_y * 2, tile_x / 2, overlap, up, 3, progress);
    const Tensor b = pass(z, decode, tile_y / 2, tile_x * 2, overlap, up, 3, progress);
    const Tensor c = pass(z, decode, tile_y, tile_x, overlap, up, 3, progress);
    // (a + b + c) / 3 in that order, as ComfyUI sums before dividing.
    Tensor r = Tensor::zeros(a.shape());
    for (int64_t i = 0; i < r.numel(); ++i) r.data<float>()[i] = (a.data<float>()[i] + b.data<float>()[i] + c.data<float>()[i]) / 3.0f;
    return r;
}

Tensor vae_encode_tiled(const nets::Vae& vae, const Tensor& x, int64_t tile_x, int64_t tile_y, int64_t overlap, const TileProgress& progress) {
    const std::function<Tensor(const Tensor&)> encode = [&](const Tensor& t) { return vae.encode(t); };
    const double down = 1.0 / static_cast<double>(vae.downscale());
    const int64_t ch = vae.latent_channels();
    Tensor s = pass(x, encode, tile_y, tile_x, overlap, down, ch, progress);
    const Tensor b = pass(x, encode, tile_y / 2, tile_x * 2, overlap, down, ch, progress);
    const Tensor c = pass(x, encode, tile_y * 2, tile_x / 2, overlap, down, ch, progress);
    for (int64_t i = 0; i < s.numel(); ++i) {
        float& v = s.data<float>()[i];
        v += b.data<float>()[i];
        v += c.data<float>()[i];
        v /= 3.0f;
    }
    return s;
}

}  // namespace weft::models
