#include "blocks/tiled_scale.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace weft::upscale {

namespace {

int64_t scaled(int64_t v, double s) { return static_cast<int64_t>(std::nearbyint(static_cast<double>(v) * s)); }

/// Feather weights of one side of a tile `len` long: (t+1)/f on the first and last f entries,
/// multiplied where the two ramps meet; all ones when f ≥ len (ComfyUI skips such a side).
std::vector<float> feather(int64_t len, int64_t f) {
    std::vector<float> m(static_cast<size_t>(len), 1.0f);
    if (f >= len) return m;
    for (int64_t t = 0; t < f; ++t) {
        const float a = static_cast<float>(t + 1) / static_cast<float>(f);
        m[static_cast<size_t>(t)] *= a;
        m[static_cast<size_t>(len - 1 - t)] *= a;
    }
    return m;
}

}  // namespace

std::vector<int64_t> tile_starts(int64_t size, int64_t tile, int64_t overlap) {
    if (size <= tile) return {0};
    const int64_t step = std::max<int64_t>(1, tile - overlap);
    std::vector<int64_t> out;
    for (int64_t p = 0; p < size - overlap; p += step) out.push_back(std::max<int64_t>(0, std::min(size - overlap, p)));
    if (out.back() + tile < size) out.push_back(size - tile);
    return out;
}

int64_t tiled_scale_steps(const Shape& in, const TileOptions& o) {
    const int64_t h = in[2], w = in[3];
    if (h <= o.tile_h && w <= o.tile_w) return in[0];
    return in[0] * static_cast<int64_t>(tile_starts(h, o.tile_h, o.overlap).size() * tile_starts(w, o.tile_w, o.overlap).size());
}

Tensor tiled_scale(const Tensor& x0, const std::function<Tensor(const Tensor&)>& fn, const TileOptions& o,
                   const std::function<void(int64_t, int64_t)>& on_tile) {
    if (!x0.defined() || x0.dim() != 4 || x0.dtype() != DType::F32)
        throw Error(ErrorCode::InvalidInputType, fmt::format("tiled_scale expects F32 [N, C, H, W], got {}",
                                                      x0.defined() ? x0.describe() : std::string("nothing")));
    if (o.tile_h <= o.overlap || o.tile_w <= o.overlap || o.overlap < 0 || o.scale <= 0)
        throw Error(ErrorCode::InvalidInput, fmt::format("tiled_scale: tile {}x{} must exceed overlap {}", o.tile_w, o.tile_h, o.overlap));
    const int64_t n = x0.size(0), h = x0.size(2), w = x0.size(3), c = o.out_channels;
    const int64_t oh = scaled(h, o.scale), ow = scaled(w, o.scale);
    Tensor out = Tensor::zeros({n, c, oh, ow});
    const int64_t total = tiled_scale_steps(x0.shape(), o);
    int64_t done = 0;

    auto check_tile = [&](const Tensor& y, int64_t th, int64_t tw) {
        if (!y.defined() || y.dim() != 4 || y.size(0) != 1 || y.size(1) != c || y.size(2) != scaled(th, o.scale) ||
            y.size(3) != scaled(tw, o.scale) || y.dtype() != DType::F32)
            throw Error(ErrorCode::TensorError, fmt::format("tiled_scale: a {}x{} tile gave {}, expected F32 [1, {}, {}, {}]", tw, th,
                                                 y.defined() ? y.describe() : std::string("nothing"), c, scaled(th, o.scale),
                                                 scaled(tw, o.scale)));
    };

    for (int64_t b = 0; b < n; ++b) {
        const Tensor xb = x0.slice(0, b, b + 1);
        float* ob = out.data<float>() + b * c * oh * ow;
        if (h <= o.tile_h && w <= o.tile_w) {
            const Tensor y = fn(xb.contiguous()).contiguous();
            check_tile(y, h, w);
            std::copy_n(y.data<float>(), y.numel(), ob);
            if (on_tile) on_tile(++done, total);
            continue;
        }
        std::vector<float> div(static_cast<size_t>(oh * ow), 0.0f);  // Σ mask, the same for every channel
        const int64_t f_h = scaled(o.overlap, o.scale), f_w = f_h;
        for (int64_t y0 : tile_starts(h, o.tile_h, o.overlap)) {
            for (int64_t x0p : tile_starts(w, o.tile_w, o.overlap)) {
                const int64_t th = std::min(o.tile_h, h - y0), tw = std::min(o.tile_w, w - x0p);
                const Tensor y = fn(xb.slice(2, y0, y0 + th).slice(3, x0p, x0p + tw).contiguous()).contiguous();
                check_tile(y, th, tw);
                const int64_t yh = y.size(2), yw = y.size(3), oy = scaled(y0, o.scale), ox = scaled(x0p, o.scale);
                const std::vector<float> mh = feather(yh, f_h), mw = feather(yw, f_w);
                // Rows past the output's edge (rounding) are dropped, as torch's narrow would refuse them.
                const int64_t rows = std::min(yh, oh - oy), cols = std::min(yw, ow - ox);
                const float* yp = y.data<float>();
                tbb::parallel_for(int64_t{0}, rows, [&](int64_t r) {
                    for (int64_t ch = 0; ch < c; ++ch) {
                        const float* src = yp + (ch * yh + r) * yw;
                        float* dst = ob + (ch * oh + oy + r) * ow + ox;
                        for (int64_t q = 0; q < cols; ++q) dst[q] += src[q] * (mh[r] * mw[q]);
                    }
                    float* d = div.data() + (oy + r) * ow + ox;
                    for (int64_t q = 0; q < cols; ++q) d[q] += mh[r] * mw[q];
                });
                if (on_tile) on_tile(++done, total);
            }
        }
        tbb::parallel_for(int64_t{0}, c * oh, [&](int64_t row) {
            float* dst = ob + row * ow;
            const float* d = div.data() + (row % oh) * ow;
            for (int64_t q = 0; q < ow; ++q) dst[q] /= d[q];
        });
    }
    return out;
}

}  // namespace weft::upscale
