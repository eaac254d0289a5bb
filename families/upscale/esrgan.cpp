#include "families/upscale/esrgan.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>

namespace weft::nets {

namespace {

constexpr float kSlope = 0.2f;  // LeakyReLU slope of every activation in the network
constexpr float kResidual = 0.2f;  // RDB and RRDB outputs are scaled by 0.2 before the skip

/// Key names of one layout. `rdb(i, k, j)` is conv j (1..5) of RDB k (1..3) in RRDB i.
struct Names {
    std::string layout;
    std::function<std::string(int64_t, int, int)> rdb;
    std::string first, trunk, hr, last;
    std::vector<std::string> up;
};

/// 1 + the largest N of keys "<prefix>N.*" (0 when none): the length of a torch Sequential.
int64_t seq_len(const WeightTable& t, const std::string& prefix) {
    const std::string full = t.prefix() + prefix;
    int64_t n = 0;
    for (auto it = t.file().tensors.lower_bound(full); it != t.file().tensors.end(); ++it) {
        const std::string& key = it->first;
        if (key.compare(0, full.size(), full) != 0) break;
        size_t p = full.size(), q = p;
        while (q < key.size() && std::isdigit(static_cast<unsigned char>(key[q]))) ++q;
        if (q == p || q >= key.size() || key[q] != '.') continue;
        n = std::max<int64_t>(n, std::stoll(key.substr(p, q - p)) + 1);
    }
    return n;
}

Names old_names(const WeightTable& t, int64_t blocks) {
    Names n;
    n.layout = "old";
    n.rdb = [](int64_t i, int k, int j) { return fmt::format("model.1.sub.{}.RDB{}.conv{}.0", i, k, j); };
    n.first = "model.0";
    n.trunk = fmt::format("model.1.sub.{}", blocks);
    // Sequential: conv, shortcut(RRDBs + trunk), [upsample, conv, act] per step, HR conv, act, last conv.
    const int64_t len = seq_len(t, "model.");
    if (len < 5 || (len - 5) % 3 != 0)
        throw Error(ErrorCode::InvalidModel, fmt::format("ESRGAN file {}: the top-level 'model.N' sequence has {} entries, which is not "
                                                 "5 + 3·(upsampling steps)", t.path(), len))
            .at_path(t.path());
    const int64_t steps = (len - 5) / 3;
    for (int64_t u = 1; u <= steps; ++u) n.up.push_back(fmt::format("model.{}", 3 * u));
    n.hr = fmt::format("model.{}", len - 3);
    n.last = fmt::format("model.{}", len - 1);
    return n;
}

Names new_names(const WeightTable& t, bool bsrgan) {
    Names n;
    n.layout = bsrgan ? "bsrgan" : "new";
    if (bsrgan)
        n.rdb = [](int64_t i, int k, int j) { return fmt::format("RRDB_trunk.{}.RDB{}.conv{}", i, k, j); };
    else
        n.rdb = [](int64_t i, int k, int j) { return fmt::format("body.{}.rdb{}.conv{}", i, k, j); };
    n.first = "conv_first";
    n.trunk = bsrgan ? "trunk_conv" : "conv_body";
    const std::string up = t.has("conv_up1.weight") ? "conv_up" : "upconv";
    for (int u = 1; t.has(fmt::format("{}{}.weight", up, u)); ++u) n.up.push_back(fmt::format("{}{}", up, u));
    n.hr = t.has("HRconv.weight") ? "HRconv" : "conv_hr";
    n.last = "conv_last";
    return n;
}

/// dst[c] = leaky_relu(src[c]) over `count` floats.
void leaky_relu_into(const float* src, float* dst, int64_t count) {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, count, 1 << 15), [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t i = r.begin(); i < r.end(); ++i) dst[i] = src[i] > 0.0f ? src[i] : src[i] * kSlope;
    });
}

/// dst = a·s + b, elementwise over `count` floats (dst may alias b).
void scale_add(const float* a, float s, const float* b, float* dst, int64_t count) {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, count, 1 << 15), [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t i = r.begin(); i < r.end(); ++i) dst[i] = a[i] * s + b[i];
    });
}

}  // namespace

bool Esrgan::matches(const WeightTable& t) {
    return (t.has("model.0.weight") && (t.has("model.1.sub.0.RDB1.conv1.0.weight") || t.has("model.1.sub.0.RDB1.conv1x1.weight"))) ||
           (t.has("conv_first.weight") && t.has("body.0.rdb1.conv1.weight") && t.has("conv_body.weight") && t.has("conv_last.weight")) ||
           (t.has("conv_first.weight") && t.has("RRDB_trunk.0.RDB1.conv1.weight") && t.has("trunk_conv.weight") &&
            t.has("conv_last.weight"));
}

Esrgan Esrgan::load(const WeightTable& t, ops::Compute mode) {
    if (t.has("model.1.sub.0.RDB1.conv1x1.weight"))
        throw Error(ErrorCode::InvalidModel, fmt::format("{}: ESRGAN+ (RRDBs with conv1x1 layers) is not supported", t.path())).at_path(t.path());
    if (!matches(t)) throw Error(ErrorCode::InvalidModel, fmt::format("{}: not an ESRGAN/RRDBNet model", t.path())).at_path(t.path());

    Esrgan net;
    EsrganConfig& c = net.cfg_;
    const bool old = t.has("model.0.weight");
    const bool bsrgan = !old && t.has("RRDB_trunk.0.RDB1.conv1.weight");
    if (old)
        c.blocks = count_children(t, "model.1.sub", "RDB1.conv1.0.weight");
    else
        c.blocks = count_children(t, bsrgan ? "RRDB_trunk" : "body", bsrgan ? "RDB1.conv1.weight" : "rdb1.conv1.weight");
    const Names n = old ? old_names(t, c.blocks) : new_names(t, bsrgan);
    c.layout = n.layout;
    c.upsamples = static_cast<int64_t>(n.up.size());

    const Tensor& w0 = t.get(n.first + ".weight");
    const Tensor& wl = t.get(n.last + ".weight");
    if (w0.dim() != 4 || wl.dim() != 4)
        throw Error(ErrorCode::InvalidModel, fmt::format("{}: '{}' and '{}' must be 4-d conv weights", t.path(), n.first, n.last)).at_path(t.path());
    int64_t in = w0.size(1);
    c.features = w0.size(0);
    c.out_channels = wl.size(0);
    c.growth = t.get(n.rdb(0, 1, 1) + ".weight").size(0);
    // Real-ESRGAN trains its x2/x1 models on pixel-unshuffled input: 4 or 16 times the channels.
    if (in == c.out_channels * 4 || in == c.out_channels * 16) {
        c.shuffle_factor = in == c.out_channels * 4 ? 2 : 4;
        if ((int64_t{1} << c.upsamples) % c.shuffle_factor != 0)
            throw Error(ErrorCode::InvalidModel, fmt::format("{}: pixel-unshuffle factor {} with only {} upsampling steps", t.path(),
                                                     c.shuffle_factor, c.upsamples))
                .at_path(t.path());
    }
    c.in_channels = in / (c.shuffle_factor * c.shuffle_factor);

    const int64_t nf = c.features, gc = c.growth;
    net.first_ = TransientConv::load(t, n.first, in, nf, 3, mode);
    net.body_.resize(static_cast<size_t>(c.blocks));
    for (int64_t i = 0; i < c.blocks; ++i)
        for (int k = 1; k <= 3; ++k)
            for (int j = 1; j <= 5; ++j)
                net.body_[i].rdb[k - 1].conv[j - 1] =
                    TransientConv::load(t, n.rdb(i, k, j), nf + (j - 1) * gc, j == 5 ? nf : gc, 3, mode);
    net.trunk_ = TransientConv::load(t, n.trunk, nf, nf, 3, mode);
    for (const std::string& u : n.up) net.up_.push_back(TransientConv::load(t, u, nf, nf, 3, mode));
    net.hr_ = TransientConv::load(t, n.hr, nf, nf, 3, mode);
    net.last_ = TransientConv::load(t, n.last, nf, c.out_channels, 3, mode);

    net.bytes_ = net.first_.bytes() + net.trunk_.bytes() + net.hr_.bytes() + net.last_.bytes();
    for (const auto& b : net.body_)
        for (const auto& r : b.rdb)
            for (const auto& cv : r.conv) net.bytes_ += cv.bytes();
    for (const auto& u : net.up_) net.bytes_ += u.bytes();
    return net;
}

double Esrgan::macs(int64_t h, int64_t w) const {
    const int64_t f = cfg_.shuffle_factor;
    const int64_t lh = (h + f - 1) / f, lw = (w + f - 1) / f;  // feature resolution after unshuffle
    double m = first_.macs(lh, lw) + trunk_.macs(lh, lw);
    for (const auto& b : body_)
        for (const auto& r : b.rdb)
            for (const auto& cv : r.conv) m += cv.macs(lh, lw);
    int64_t uh = lh, uw = lw;
    for (const auto& u : up_) {
        uh *= 2;
        uw *= 2;
        m += u.macs(uh, uw);
    }
    return m + hr_.macs(uh, uw) + last_.macs(uh, uw);
}

Tensor Esrgan::run_network(const Tensor& x) const {
    const int64_t nf = cfg_.features, gc = cfg_.growth;
    const int64_t h = x.size(2), w = x.size(3), plane = h * w;
    const Tensor feat = first_(x);

    // One buffer holds an RDB's dense concatenation [x, x1, x2, x3, x4]; with a batch of one, each
    // channel range of it is a contiguous tensor the convolutions read directly (no concat copies).
    Tensor buf = Tensor::zeros({1, nf + 4 * gc, h, w});
    float* bp = buf.data<float>();
    std::copy_n(feat.data<float>(), nf * plane, bp);
    Tensor rrdb_in = Tensor::zeros({1, nf, h, w});
    for (const Rrdb& block : body_) {
        std::copy_n(bp, nf * plane, rrdb_in.data<float>());
        for (const Rdb& r : block.rdb) {
            for (int j = 0; j < 4; ++j) {
                const Tensor y = r.conv[j](buf.slice(1, 0, nf + j * gc));
                leaky_relu_into(y.data<float>(), bp + (nf + j * gc) * plane, gc * plane);
            }
            const Tensor x5 = r.conv[4](buf);
            scale_add(x5.data<float>(), kResidual, bp, bp, nf * plane);  // RDB: x5·0.2 + x
        }
        scale_add(bp, kResidual, rrdb_in.data<float>(), bp, nf * plane);  // RRDB: rdb3·0.2 + x
    }
    Tensor hcur = trunk_(buf.slice(1, 0, nf));
    scale_add(hcur.data<float>(), 1.0f, feat.data<float>(), hcur.data<float>(), nf * plane);
    buf = Tensor();
    rrdb_in = Tensor();

    for (const TransientConv& up : up_) {
        hcur = up(ops::upsample_nearest(hcur, hcur.size(2) * 2, hcur.size(3) * 2));
        leaky_relu_into(hcur.data<float>(), hcur.data<float>(), hcur.numel());
    }
    hcur = hr_(hcur);
    leaky_relu_into(hcur.data<float>(), hcur.data<float>(), hcur.numel());
    return last_(hcur);
}

Tensor Esrgan::forward(const Tensor& x0) const {
    if (!x0.defined() || x0.dim() != 4 || x0.dtype() != DType::F32 || x0.size(1) != cfg_.in_channels)
        throw Error(ErrorCode::InvalidInputType, fmt::format("ESRGAN expects F32 [N, {}, H, W], got {}", cfg_.in_channels,
                                                      x0.defined() ? x0.describe() : std::string("nothing")));
    const int64_t n = x0.size(0), h = x0.size(2), w = x0.size(3), f = cfg_.shuffle_factor, s = scale();
    std::vector<Tensor> outs;
    for (int64_t b = 0; b < n; ++b) {
        Tensor x = x0.slice(0, b, b + 1).contiguous();
        if (f > 1) {
            const int64_t ph = (f - h % f) % f, pw = (f - w % f) % f;
            if (ph || pw) x = ops::pad(x, {0, pw, 0, ph}, ops::PadMode::Reflect);
            x = ops::pixel_unshuffle(x, f);
        }
        Tensor y = run_network(x);
        if (y.size(2) != h * s || y.size(3) != w * s) y = y.slice(2, 0, h * s).slice(3, 0, w * s).contiguous();
        outs.push_back(std::move(y));
    }
    return outs.size() == 1 ? outs.front() : ops::concat(outs, 0);
}

}  // namespace weft::nets
