// families/upscale/esrgan.h — ESRGAN's RRDBNet (and Real-ESRGAN/BSRGAN files of the same network), with
// its structure read from the keys.
//
//   Esrgan net = Esrgan::load(WeightTable(file, ""));
//   Tensor y = net.forward(x);     // [N, 3, H, W] -> [N, 3, H·scale, W·scale]
//
// Key layouts accepted: the old one ("model.0", "model.1.sub.{i}.RDB{k}.conv{j}.0", "model.1.sub.{nb}",
// upsampling convs at "model.3/6/9", then HR conv and last conv), the Real-ESRGAN/BasicSR one
// ("conv_first", "body.{i}.rdb{k}.conv{j}", "conv_body", "conv_up{u}", "conv_hr", "conv_last") and
// the BSRGAN one ("RRDB_trunk.{i}.RDB{k}.conv{j}", "trunk_conv", "upconv{u}", "HRconv"). Each
// upsampling step is nearest ×2, a 3×3 conv and LeakyReLU(0.2), so the network scales by 2^steps.
// Files whose first conv takes 4 or 16 times the output channels were trained on pixel-unshuffled
// input (Real-ESRGAN x2plus and x1): the input is reflect-padded to a multiple of the factor,
// unshuffled, and the result cropped, so the effective scale is 2^steps / factor.
//
// Heavy: call from one thread at a time.
#pragma once

#include "blocks/layers.h"
#include "blocks/transient_conv.h"

#include <string>
#include <vector>

namespace weft::nets {

struct EsrganConfig {
    int64_t in_channels = 3;     // image channels (after undoing the unshuffle)
    int64_t out_channels = 3;
    int64_t features = 64;       // nf
    int64_t growth = 32;         // gc
    int64_t blocks = 23;         // nb RRDBs
    int64_t upsamples = 2;       // nearest×2 + conv steps
    int64_t shuffle_factor = 1;  // pixel-unshuffle factor of the input (1 = none)
    std::string layout;          // "old", "new" (Real-ESRGAN) or "bsrgan"

    /// Output pixels per input pixel along each side: 2^upsamples / shuffle_factor.
    int64_t scale() const { return (int64_t{1} << upsamples) / shuffle_factor; }
};

class Esrgan {
public:
    /// True when the table's keys are an RRDBNet in one of the accepted layouts.
    static bool matches(const WeightTable& t);
    /// Reads the structure from the keys and packs the weights; throws weft::Error naming the file
    /// and the key for a missing or misshapen tensor, or for variants it does not run (ESRGAN+).
    static Esrgan load(const WeightTable& t, ops::Compute mode = ops::Compute::F32);

    /// x [N, in, H, W] F32 -> [N, out, H·scale, W·scale] (not clamped).
    Tensor forward(const Tensor& x) const;

    const EsrganConfig& config() const { return cfg_; }
    int64_t scale() const { return cfg_.scale(); }
    /// Multiply-accumulates of one forward pass on an H×W input (convolutions only).
    double macs(int64_t h, int64_t w) const;
    /// Bytes of packed weights.
    size_t bytes() const { return bytes_; }

private:
    struct Rdb {
        TransientConv conv[5];
    };
    struct Rrdb {
        Rdb rdb[3];
    };

    Tensor run_network(const Tensor& x) const;  // one image [1, in·f², h, w]

    EsrganConfig cfg_;
    TransientConv first_, trunk_, hr_, last_;
    std::vector<Rrdb> body_;
    std::vector<TransientConv> up_;
    size_t bytes_ = 0;
};

}  // namespace weft::nets
