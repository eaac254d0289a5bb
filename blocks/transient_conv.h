// blocks/transient_conv.h — a 3×3 (or any) convolution whose oneDNN state lives for one call.
//
// PackedConv2d keeps a packed weight and a primitive per input shape for the life of the model.
// Upscalers run dozens to hundreds of convolutions on tiles of changing sizes (and at 2× and 4×
// after upsampling); this layer keeps only the plain weights and lets each call pack its own. The
// weight reorder per call is negligible next to a convolution over a tile.
#pragma once

#include "blocks/weight_table.h"
#include "tensor/ops/ops.h"

#include <weft/tensor.h>

#include <string>

namespace weft::nets {

struct TransientConv {
    Tensor weight;  // F32 [out, in, k, k], contiguous
    Tensor bias;    // F32 [out]
    ops::Conv2dParams params;
    ops::Compute mode = ops::Compute::F32;

    /// `name`.weight [out, in, k, k] and `name`.bias [out], padding k/2 ("same" output size).
    static TransientConv load(const WeightTable& t, const std::string& name, int64_t in, int64_t out, int64_t k,
                              ops::Compute mode) {
        TransientConv c;
        c.weight = t.get(name + ".weight", {out, in, k, k}).to(DType::F32).contiguous();
        c.bias = t.f32(name + ".bias", {out});
        c.params.padding = {k / 2, k / 2};
        c.mode = mode;
        return c;
    }
    Tensor operator()(const Tensor& x) const { return ops::conv2d(x, weight, bias, params, mode); }
    int64_t in_channels() const { return weight.size(1); }
    int64_t out_channels() const { return weight.size(0); }
    int64_t kernel() const { return weight.size(2); }
    size_t bytes() const { return weight.nbytes() + bias.nbytes(); }
    /// Multiply-accumulates over an output of h×w pixels.
    double macs(int64_t h, int64_t w) const {
        return static_cast<double>(weight.numel()) * static_cast<double>(h) * static_cast<double>(w);
    }
};

}  // namespace weft::nets
