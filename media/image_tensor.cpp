#include "media/image_tensor.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <cmath>

namespace weft::media {

Tensor image_batch_f32(const Tensor& t, std::string_view what) {
    if (!t.defined()) throw Error(ErrorCode::InvalidInputType, fmt::format("{}: no image", what));
    Tensor img = t.dim() == 3 ? t.reshape({1, t.size(0), t.size(1), t.size(2)}) : t;
    if (img.dim() != 4 || img.size(3) < 1 || img.size(3) > 4)
        throw Error(ErrorCode::InvalidInputType,
                    fmt::format("{}: expected an IMAGE [B, H, W, C] with 1 to 4 channels, got {}", what, t.describe()));
    return img.to(DType::F32).contiguous();
}

std::vector<uint8_t> image_item_to_u8(const Tensor& batch, int64_t index) {
    const int64_t n = batch.size(1) * batch.size(2) * batch.size(3);
    const float* src = batch.data<float>() + index * n;
    std::vector<uint8_t> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        // float32 multiply as numpy does for float32 * 255.0, then clip and truncate.
        float v = src[i] * 255.0f;
        v = std::isnan(v) ? 0.0f : v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
        out[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
    }
    return out;
}

Tensor u8_to_image(std::span<const uint8_t> pixels, int64_t height, int64_t width, int64_t channels) {
    Tensor out = Tensor::zeros({1, height, width, channels});
    float* dst = out.data<float>();
    const size_t n = static_cast<size_t>(height * width * channels);
    if (pixels.size() != n)
        throw Error(ErrorCode::InvalidImage, fmt::format("{} bytes for a {}x{}x{} image", pixels.size(), height, width, channels));
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(pixels[i]) / 255.0f;
    return out;
}

}  // namespace weft::media
