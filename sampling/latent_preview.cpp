#include "sampling/latent_preview.h"

#include <weft/error.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace weft::models {

namespace {

// Pillow's resampling weights for one axis: for each output index, the first input index and the
// normalised triangle-filter weights over its window.
struct AxisWeights {
    std::vector<int64_t> first;
    std::vector<std::vector<float>> weights;
};

AxisWeights axis_weights(int64_t in, int64_t out) {
    const double scale = double(in) / double(out);
    const double filter_scale = std::max(scale, 1.0);
    const double support = 1.0 * filter_scale;  // the triangle filter's support is 1 at scale 1
    AxisWeights a;
    a.first.resize(size_t(out));
    a.weights.resize(size_t(out));
    for (int64_t o = 0; o < out; ++o) {
        const double center = (double(o) + 0.5) * scale;
        const int64_t lo = std::max<int64_t>(int64_t(center - support + 0.5), 0);
        const int64_t hi = std::min<int64_t>(int64_t(center + support + 0.5), in);
        std::vector<float> w;
        double sum = 0;
        for (int64_t i = lo; i < hi; ++i) {
            const double t = std::fabs((double(i) - center + 0.5) / filter_scale);
            const double v = t < 1.0 ? 1.0 - t : 0.0;
            w.push_back(float(v));
            sum += v;
        }
        if (sum > 0)
            for (float& v : w) v = float(v / sum);
        a.first[size_t(o)] = lo;
        a.weights[size_t(o)] = std::move(w);
    }
    return a;
}

}  // namespace

Tensor resize_u8_bilinear(const Tensor& image, int64_t out_h, int64_t out_w) {
    if (image.dtype() != DType::U8 || image.dim() != 3) throw Error(ErrorCode::InvalidInput, "resize_u8_bilinear needs U8 [H, W, C], got " + image.describe());
    const Tensor src = image.contiguous();
    const int64_t h = src.size(0), w = src.size(1), c = src.size(2);
    const uint8_t* s = src.data<uint8_t>();
    const AxisWeights ax = axis_weights(w, out_w), ay = axis_weights(h, out_h);
    // Horizontal pass into floats, then vertical with rounding (Pillow keeps 8-bit in between;
    // floats differ from it by at most one level).
    std::vector<float> mid(size_t(h * out_w * c));
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < out_w; ++x)
            for (int64_t k = 0; k < c; ++k) {
                float acc = 0;
                const auto& wts = ax.weights[size_t(x)];
                for (size_t j = 0; j < wts.size(); ++j) acc += wts[j] * s[(y * w + ax.first[size_t(x)] + int64_t(j)) * c + k];
                mid[size_t((y * out_w + x) * c + k)] = acc;
            }
    Tensor out = Tensor::zeros({out_h, out_w, c}, DType::U8);
    uint8_t* o = out.data<uint8_t>();
    for (int64_t y = 0; y < out_h; ++y) {
        const auto& wts = ay.weights[size_t(y)];
        for (int64_t x = 0; x < out_w; ++x)
            for (int64_t k = 0; k < c; ++k) {
                float acc = 0;
                for (size_t j = 0; j < wts.size(); ++j) acc += wts[j] * mid[size_t(((ay.first[size_t(y)] + int64_t(j)) * out_w + x) * c + k)];
                o[(y * out_w + x) * c + k] = uint8_t(std::clamp(std::lround(acc), 0L, 255L));
            }
    }
    return out;
}

Tensor latent_preview_rgb(const Tensor& x0, int max_side) {
    if (x0.dim() != 4 || x0.size(1) != 4 || x0.size(0) < 1)
        throw Error(ErrorCode::InvalidInput, "Latent2RGB previews need an SD1 latent [B, 4, H, W], got " + x0.describe());
    // Only batch item 0 is shown, as ComfyUI does.
    const Tensor item = x0.slice(0, 0, 1).to(DType::F32).contiguous();
    const int64_t h = item.size(2), w = item.size(3), plane = h * w;
    const float* p = item.data<float>();
    Tensor rgb = Tensor::zeros({h, w, 3}, DType::U8);
    uint8_t* o = rgb.data<uint8_t>();
    for (int64_t i = 0; i < plane; ++i)
        for (int c = 0; c < 3; ++c) {
            float v = 0;
            for (int k = 0; k < 4; ++k) v += p[k * plane + i] * kSd15LatentRgbFactors[k][c];
            // torch's float -> uint8 cast truncates.
            o[i * 3 + c] = uint8_t(std::clamp((v + 1.0f) / 2.0f, 0.0f, 1.0f) * 255.0f);
        }
    const int64_t longest = std::max(h, w);
    if (max_side <= 0 || longest <= max_side) return rgb;
    // Fit inside max_side x max_side, the other side rounded (ImageOps.contain).
    const int64_t out_w = w >= h ? max_side : std::max<int64_t>(1, std::llround(double(w) * max_side / double(h)));
    const int64_t out_h = h >= w ? max_side : std::max<int64_t>(1, std::llround(double(h) * max_side / double(w)));
    return resize_u8_bilinear(rgb, out_h, out_w);
}

}  // namespace weft::models
