// tensor/resample.h — resizing [N, C, H, W] float tensors the way ComfyUI's common_upscale does.
//
// nearest-exact, bilinear, area and bicubic follow torch.nn.functional.interpolate with an output
// size (align_corners=False, no antialias; area = adaptive average pooling; bicubic A = -0.75 with
// source indices clamped to the border), computed in float32 like PyTorch's CPU kernels. bislerp
// is ComfyUI's spherical-linear variant (per pixel over the channel vector), and lanczos is
// Pillow's 8-bit LANCZOS resize of the values quantised to 0..255 (alpha premultiplied for 2 and
// 4 channels, as Pillow does for LA/RGBA), so it returns multiples of 1/255.
//
//   Tensor latent = ...;                                          // F32 [1, 4, 64, 64]
//   Tensor up = weft::common_upscale(latent, 96, 96, weft::ResampleMethod::Bislerp, false);
//
// Thread safety: pure functions; they use oneTBB for large inputs.
#pragma once

#include <weft/tensor.h>

#include <cstdint>
#include <string_view>

namespace weft {

enum class ResampleMethod { NearestExact, Bilinear, Area, Bicubic, Bislerp, Lanczos };

/// Parses ComfyUI's method names ("nearest-exact", "bilinear", "area", "bicubic", "bislerp",
/// "lanczos"); throws weft::Error(weft::ErrorCode::InvalidInput) for any other.
ResampleMethod resample_method_from_name(std::string_view name);
const char* resample_method_name(ResampleMethod m);

/// `x` ([N, C, H, W], any float dtype, any strides) resized to [N, C, height, width] F32.
/// Throws weft::Error when an input or output size is zero.
Tensor resize_nchw(const Tensor& x, int64_t height, int64_t width, ResampleMethod method);

/// The (x, y) offsets comfy.utils.common_upscale's "center" crop removes from each side of an
/// old_width x old_height input to match the aspect of width x height (Python round, halves to even).
struct CenterCrop {
    int64_t x = 0, y = 0;
};
CenterCrop center_crop_offsets(int64_t old_width, int64_t old_height, int64_t width, int64_t height);

/// comfy.utils.common_upscale: with `crop_center`, the input is first cropped to the target
/// aspect ratio around its centre, then resized to [N, C, height, width].
Tensor common_upscale(const Tensor& x, int64_t width, int64_t height, ResampleMethod method, bool crop_center);

}  // namespace weft
