// media/image_tensor.h — IMAGE tensors ([B,H,W,C] floats in 0..1) to and from 8-bit pixels.
#pragma once

#include <weft/tensor.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace weft::media {

/// `t` as a contiguous F32 IMAGE batch [B,H,W,C] (C in 1..4); a 3-d [H,W,C] tensor counts as a
/// batch of one. Throws weft::Error(weft::ErrorCode::InvalidInputType) naming `what` otherwise.
Tensor image_batch_f32(const Tensor& t, std::string_view what = "image");

/// Item `index` of an F32 contiguous batch as interleaved 8-bit pixels, ComfyUI's way:
/// clip(255 * x, 0, 255) truncated toward zero (NaN -> 0).
std::vector<uint8_t> image_item_to_u8(const Tensor& batch_f32, int64_t index);

/// 8-bit pixels (H*W*C) as an F32 tensor [1,H,W,C] scaled by 1/255.
Tensor u8_to_image(std::span<const uint8_t> pixels, int64_t height, int64_t width, int64_t channels);

}  // namespace weft::media
