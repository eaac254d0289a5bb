// tensor/ops/layout.h — ops that move data without arithmetic (or with only interpolation):
// concat, pad, pixel (un)shuffle, nearest and bilinear resize. All take and return F32 tensors.
//
//   Tensor h = ops::concat({h, skip}, 1);                         // UNet skip connection
//   Tensor p = ops::pad(x, {0, 1, 0, 1});                          // F.pad order: last dim first
//   Tensor u = ops::upsample_nearest(x, 2 * H, 2 * W);
#pragma once

#include <weft/tensor.h>

#include <vector>

namespace weft::ops {

/// Joins tensors along `dim` (negative counts from the end); other dims must match.
Tensor concat(const std::vector<Tensor>& parts, int64_t dim);

enum class PadMode : uint8_t { Constant, Reflect, Replicate };

/// PyTorch F.pad: `pads` = {last_before, last_after, prev_before, prev_after, ...} (non-negative).
/// Reflect needs each pad < that dimension's size.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode = PadMode::Constant,
           float value = 0.0f);

/// [N, C·r², H, W] -> [N, C, H·r, W·r].
Tensor pixel_shuffle(const Tensor& x, int64_t r);
/// [N, C, H·r, W·r] -> [N, C·r², H, W].
Tensor pixel_unshuffle(const Tensor& x, int64_t r);

/// x [N, C, H, W] -> [N, C, out_h, out_w]; PyTorch mode "nearest": src = floor(dst·in/out).
Tensor upsample_nearest(const Tensor& x, int64_t out_h, int64_t out_w);
/// upsample_nearest a band of output rows at a time, for a convolution that reads its input in
/// bands (PackedConv2d's InputRows): the upsampled map is never held whole. x F32 or BF16, NCHW or
/// channels-last (the F32 bands take its layout); keeps a reference to x.
class UpsampleNearestRows {
public:
    UpsampleNearestRows(const Tensor& x, int64_t out_h, int64_t out_w);
    /// Output rows [r0, r1) into `band` (F32 [N, C, r1 - r0, out_w], in x's layout).
    void operator()(int64_t r0, int64_t r1, Tensor& band) const;
    Shape shape() const;
    bool channels_last() const { return channels_last_; }

private:
    bool channels_last_;
    Tensor x_;
    int64_t out_h_, out_w_;
};
/// PyTorch bilinear, align_corners=False, no antialias: src = max(0, (dst+0.5)·in/out − 0.5).
Tensor upsample_bilinear(const Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace weft::ops
