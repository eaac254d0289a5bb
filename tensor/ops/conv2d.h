// tensor/ops/conv2d.h — 2-D convolution (NCHW) through oneDNN with pre-packed weights.
//
//   ops::PackedConv2d conv(weight, bias, {.padding = {1, 1}}, ops::Compute::F32);  // per model load
//   Tensor y = conv(x);                                   // x [N, Cin, H, W] -> [N, Cout, Ho, Wo]
//
// The weight is reordered once into oneDNN's preferred blocked layout; primitives are cached per
// input shape. Activations stay NCHW F32 at the API; they are reordered to the kernel's layout (and to
// bf16 in BF16 mode) inside the call. Heavy op: see compute.h for the threading rule.
#pragma once

#include "compute.h"

#include <weft/tensor.h>

#include <array>
#include <memory>

namespace weft::ops {

struct Conv2dParams {
    std::array<int64_t, 2> stride{1, 1};    // (h, w)
    std::array<int64_t, 2> padding{0, 0};   // zeros on both sides of (h, w)
    std::array<int64_t, 2> dilation{1, 1};
    int64_t groups = 1;
};

/// Output spatial size of one dimension: (in + 2·pad − dil·(k−1) − 1) / stride + 1.
int64_t conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil);

/// x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout] or undefined. One-off: packs
/// the weight for this call; use PackedConv2d for model weights.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p = {},
              Compute mode = Compute::F32);

class PackedConv2d {
public:
    PackedConv2d() = default;
    /// weight F32/F16/BF16 [Cout, Cin/groups, kh, kw]; bias [Cout] or undefined.
    PackedConv2d(const Tensor& weight, const Tensor& bias, const Conv2dParams& p = {},
                 Compute mode = Compute::F32);

    /// x [N, Cin, H, W] F32 -> [N, Cout, Ho, Wo] F32.
    Tensor operator()(const Tensor& x) const;

    bool defined() const { return impl_ != nullptr; }
    int64_t in_channels() const;
    int64_t out_channels() const;
    const Conv2dParams& params() const;
    Compute mode() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace weft::ops
