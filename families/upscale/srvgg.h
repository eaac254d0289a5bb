// families/upscale/srvgg.h — Real-ESRGAN's compact network (SRVGGNetCompact), structure from the keys.
//
//   Srvgg net = Srvgg::load(WeightTable(file, ""));
//   Tensor y = net.forward(x);     // [N, C, H, W] -> [N, C, H·scale, W·scale]
//
// Keys "body.{i}": even i are 3×3 convs, odd i PReLU weights (one slope per channel). The body is
// conv(in→feat), PReLU, then `convs` × (conv(feat→feat), PReLU), then a last conv to out·scale²
// channels whose pixel shuffle gives the picture; the nearest-upsampled input is added, so the
// network learns a residual. The scale comes from the last conv's channel count.
//
// Heavy: call from one thread at a time.
#pragma once

#include "blocks/transient_conv.h"

#include <vector>

namespace weft::nets {

struct SrvggConfig {
    int64_t in_channels = 3;
    int64_t out_channels = 3;
    int64_t features = 64;
    int64_t convs = 16;  // body convs between the first and the last
    int64_t scale = 4;
};

class Srvgg {
public:
    /// True when the keys are a compact network with PReLU activations ("body.0.weight", "body.1.weight").
    static bool matches(const WeightTable& t);
    /// Throws weft::Error naming the file and key for missing or misshapen tensors.
    static Srvgg load(const WeightTable& t, ops::Compute mode = ops::Compute::F32);

    /// x [N, in, H, W] F32 -> [N, out, H·scale, W·scale] (not clamped).
    Tensor forward(const Tensor& x) const;

    const SrvggConfig& config() const { return cfg_; }
    int64_t scale() const { return cfg_.scale; }
    double macs(int64_t h, int64_t w) const;
    size_t bytes() const { return bytes_; }

private:
    struct Stage {
        TransientConv conv;
        Tensor slope;  // F32 [features]: PReLU after the conv (undefined for the last conv)
    };
    SrvggConfig cfg_;
    std::vector<Stage> stages_;
    size_t bytes_ = 0;
};

}  // namespace weft::nets
