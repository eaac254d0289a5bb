// tensor/ops/conv2d.h — 2-D convolution (NCHW) through oneDNN with pre-packed weights.
//
//   ops::PackedConv2d conv(weight, bias, {.padding = {1, 1}}, ops::Compute::F32);  // per model load
//   Tensor y = conv(x);                                   // x [N, Cin, H, W] -> [N, Cout, Ho, Wo]
//
// The weight is reordered once into oneDNN's preferred blocked layout; primitives are cached per
// input shape. Activations stay NCHW F32 at the API; they are reordered to the kernel's layout (and to
// bf16 in BF16 mode) inside the call, a band of rows at a time for large inputs. Heavy op: see
// compute.h for the threading rule.
#pragma once

#include "compute.h"

#include <weft/tensor.h>

#include <array>
#include <functional>
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

/// Input bytes a band of a large convolution reads (default 16 MiB; <= 0 restores it). For tests
/// and benchmarks: any value gives the same result.
void set_conv2d_band_bytes(int64_t bytes);

class PackedConv2d {
public:
    PackedConv2d() = default;
    /// weight F32/F16/BF16 [Cout, Cin/groups, kh, kw]; bias [Cout] or undefined.
    PackedConv2d(const Tensor& weight, const Tensor& bias, const Conv2dParams& p = {},
                 Compute mode = Compute::F32);

    /// x [N, Cin, H, W] -> [N, Cout, Ho, Wo]. x F32 or BF16 (a BF16 kernel reads it as it is), NCHW or
    /// channels-last (strides {H·W·C, 1, W·C, C}: the kernels' own layout, read without a copy);
    /// `out` F32 or BF16 (a BF16 kernel writes it directly: half the memory of an F32 map), laid out
    /// channels-last when `out_channels_last`.
    Tensor operator()(const Tensor& x, DType out = DType::F32, bool out_channels_last = false) const;

    /// Fills `band` (F32 [N, Cin, r1 - r0, W], uninitialised; NCHW, or channels-last when the
    /// producer says it writes that layout) with rows [r0, r1) of the input.
    using InputRows = std::function<void(int64_t r0, int64_t r1, Tensor& band)>;
    /// The same convolution over an input of shape `input` that is produced band by band and never
    /// held whole: a normalisation or upsampling fused in front of the convolution. Large inputs
    /// run in bands of rows (see conv2d.cpp); small ones ask for all rows at once.
    /// `rows_channels_last`: the bands are laid out channels-last; `out`, `out_channels_last`: as above.
    Tensor operator()(const Shape& input, const InputRows& rows, bool rows_channels_last, DType out = DType::F32,
                      bool out_channels_last = false) const;

    bool defined() const { return impl_ != nullptr; }
    int64_t in_channels() const;
    int64_t out_channels() const;
    const Conv2dParams& params() const;
    Compute mode() const;

    struct Impl;

private:
    // Where a band's input rows [r0, r1) start: inside the whole input, or in `*band` once filled.
    using BandSource = std::function<const void*(int64_t r0, int64_t r1, Tensor* band)>;
    Tensor run(const Shape& input, DType in_type, bool in_channels_last, DType out_type, bool out_channels_last,
               const BandSource& source) const;

    std::shared_ptr<Impl> impl_;
};

}  // namespace weft::ops
