#include "nodes/composite.h"

#include "nodes/tensor_helpers.h"
#include "tensor/resample.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <algorithm>

namespace weft::nodes {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

}  // namespace

Tensor composite_masked(const Tensor& destination_in, const Tensor& source_in, int64_t x, int64_t y, const Tensor& mask_in,
                        int64_t multiplier, bool resize_source) {
    Tensor dest = destination_in.to(DType::F32).clone();
    const int64_t B = dest.size(0), C = dest.size(1), H = dest.size(2), W = dest.size(3);
    Tensor source = source_in.to(DType::F32);
    if (resize_source) source = resize_nchw(source, H, W, ResampleMethod::Bilinear);
    source = repeat_to_batch(source, B);
    const int64_t Cs = source.size(1), Hs = source.size(2), Ws = source.size(3);
    if (Cs != C)
        throw Error(ErrorCode::InvalidInput, fmt::format("composite: source has {} channels, destination {}", Cs, C));

    x = std::max(-Ws * multiplier, std::min(x, W * multiplier));
    y = std::max(-Hs * multiplier, std::min(y, H * multiplier));
    const int64_t left = floor_div(x, multiplier), top = floor_div(y, multiplier);

    Tensor mask;  // [B, 1, Hs, Ws] or undefined (all ones)
    if (mask_in.defined()) {
        const Tensor m = mask_batch(mask_in);
        mask = repeat_to_batch(resize_nchw(m.reshape({m.size(0), 1, m.size(1), m.size(2)}), Hs, Ws, ResampleMethod::Bilinear), B);
    }

    // The visible part of the source (ComfyUI's visible_width/height; x, y >= 0 in practice).
    const int64_t vis_w = std::clamp<int64_t>(W - left + std::min<int64_t>(0, x), 0, Ws);
    const int64_t vis_h = std::clamp<int64_t>(H - top + std::min<int64_t>(0, y), 0, Hs);
    const SliceRange rows = py_slice(H, top, top + Hs), cols = py_slice(W, left, left + Ws);
    if (rows.size() != vis_h || cols.size() != vis_w)
        throw Error(ErrorCode::InvalidInput, fmt::format("composite: the source at ({}, {}) does not fit the destination", x, y));

    float* d = dest.data<float>();
    const float* s = source.data<float>();
    const float* m = mask.defined() ? mask.data<float>() : nullptr;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < vis_h; ++i) {
                float* drow = d + ((b * C + c) * H + rows.begin + i) * W + cols.begin;
                const float* srow = s + ((b * C + c) * Hs + i) * Ws;
                const float* mrow = m ? m + (b * Hs + i) * Ws : nullptr;
                for (int64_t j = 0; j < vis_w; ++j) {
                    const float mv = mrow ? mrow[j] : 1.0f;
                    drow[j] = mv * srow[j] + (1.0f - mv) * drow[j];
                }
            }
    return dest;
}

}  // namespace weft::nodes
