#include "families/upscale/srvgg.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <cmath>

namespace weft::nets {

namespace {

/// In place: x = x > 0 ? x : slope[c]·x, per channel of a [1, C, H, W] tensor.
void prelu_inplace(Tensor& x, const Tensor& slope) {
    const int64_t c = x.size(1), plane = x.size(2) * x.size(3);
    float* p = x.data<float>();
    const float* a = slope.data<float>();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, c * plane, 1 << 15), [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t i = r.begin(); i < r.end(); ++i)
            if (p[i] < 0.0f) p[i] *= a[i / plane];
    });
}

}  // namespace

bool Srvgg::matches(const WeightTable& t) { return t.has("body.0.weight") && t.has("body.1.weight"); }

Srvgg Srvgg::load(const WeightTable& t, ops::Compute mode) {
    if (!matches(t)) throw Error(ErrorCode::InvalidModel, fmt::format("{}: not a compact (SRVGG) model", t.path())).at_path(t.path());
    Srvgg net;
    SrvggConfig& c = net.cfg_;
    int64_t len = 0;  // entries of the body sequence: 2·convs + 3
    while (t.has(fmt::format("body.{}.weight", len))) ++len;
    if (len < 3 || len % 2 == 0)
        throw Error(ErrorCode::InvalidModel, fmt::format("{}: compact model body has {} entries; expected conv, PReLU pairs and a last conv",
                                                 t.path(), len))
            .at_path(t.path());
    const Tensor& w0 = t.get("body.0.weight");
    const Tensor& wl = t.get(fmt::format("body.{}.weight", len - 1));
    if (w0.dim() != 4 || wl.dim() != 4)
        throw Error(ErrorCode::InvalidModel, fmt::format("{}: body.0 and body.{} must be conv weights", t.path(), len - 1)).at_path(t.path());
    c.in_channels = w0.size(1);
    c.features = w0.size(0);
    c.convs = (len - 3) / 2;
    // The last conv makes out·scale² channels; the output has the input's channels when that
    // divides into a square, else 3 or 1 (the same guesses the reference loader makes).
    const int64_t last = wl.size(0);
    c.scale = 0;
    for (int64_t out : {c.in_channels, int64_t{3}, int64_t{4}, int64_t{1}}) {
        if (last % out != 0) continue;
        const auto s = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(last / out))));
        if (s * s * out == last) {
            c.out_channels = out;
            c.scale = s;
            break;
        }
    }
    if (c.scale == 0)
        throw Error(ErrorCode::InvalidModel, fmt::format("{}: the last conv's {} channels are not channels·scale² for any channel count",
                                                 t.path(), last))
            .at_path(t.path());

    for (int64_t i = 0; i + 1 < len; i += 2) {
        Stage s;
        s.conv = TransientConv::load(t, fmt::format("body.{}", i), i == 0 ? c.in_channels : c.features, c.features, 3, mode);
        s.slope = t.f32(fmt::format("body.{}.weight", i + 1), {c.features});
        net.bytes_ += s.conv.bytes() + s.slope.nbytes();
        net.stages_.push_back(std::move(s));
    }
    Stage lastst;
    lastst.conv = TransientConv::load(t, fmt::format("body.{}", len - 1), c.features, last, 3, mode);
    net.bytes_ += lastst.conv.bytes();
    net.stages_.push_back(std::move(lastst));
    return net;
}

double Srvgg::macs(int64_t h, int64_t w) const {
    double m = 0;
    for (const Stage& s : stages_) m += s.conv.macs(h, w);
    return m;
}

Tensor Srvgg::forward(const Tensor& x0) const {
    if (!x0.defined() || x0.dim() != 4 || x0.dtype() != DType::F32 || x0.size(1) != cfg_.in_channels)
        throw Error(ErrorCode::InvalidInputType, fmt::format("compact upscaler expects F32 [N, {}, H, W], got {}", cfg_.in_channels,
                                                      x0.defined() ? x0.describe() : std::string("nothing")));
    const int64_t s = cfg_.scale;
    std::vector<Tensor> outs;
    for (int64_t b = 0; b < x0.size(0); ++b) {
        const Tensor x = x0.slice(0, b, b + 1).contiguous();
        Tensor h = x;
        for (const Stage& st : stages_) {
            h = st.conv(h);
            if (st.slope.defined()) prelu_inplace(h, st.slope);
        }
        h = ops::pixel_shuffle(h, s);
        Tensor base = ops::upsample_nearest(x, x.size(2) * s, x.size(3) * s);
        if (cfg_.out_channels != cfg_.in_channels) {
            // The residual adds the upsampled input channel by channel; with other channel counts
            // torch broadcasting only works for one input channel.
            if (cfg_.in_channels != 1)
                throw Error(ErrorCode::InvalidModel, fmt::format("compact upscaler with {} input and {} output channels cannot add its input",
                                                         cfg_.in_channels, cfg_.out_channels));
        }
        outs.push_back(ops::add(h, base));
    }
    return outs.size() == 1 ? outs.front() : ops::concat(outs, 0);
}

}  // namespace weft::nets
