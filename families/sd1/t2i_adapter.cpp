#include "families/sd1/t2i_adapter.h"

#include <weft/error.h>

#include <algorithm>

namespace weft::nets {

namespace {

[[noreturn]] void fail(const WeightTable& t, const std::string& message) {
    throw Error(ErrorCode::ModelLoadFailed, message, t.path()).at_path(t.path());
}

// ComfyUI builds every adapter with four levels (320, 640, 1280, 1280 for SD1).
constexpr int64_t kLevels = 4;

Conv load_square(const WeightTable& t, const std::string& name, int64_t in, ops::Conv2dParams p, ops::Compute mode) {
    const Tensor& w = t.get(name + ".weight");
    if (w.dim() != 4 || w.size(2) != w.size(3)) fail(t, "tensor '" + t.prefix() + name + ".weight' is not a square convolution");
    const int64_t k = w.size(2);
    p.padding = {k / 2, k / 2};
    return Conv::load(t, name, in, w.size(0), k, p, mode);
}

Tensor relu(const Tensor& x) {
    Tensor out = x.to(DType::F32).contiguous().clone();
    float* v = out.data<float>();
    for (int64_t i = 0; i < out.numel(); ++i) v[i] = std::max(v[i], 0.0f);
    return out;
}

Tensor run_block(const T2IAdapter::Block& b, Tensor x) {
    if (b.down) x = b.down_conv ? (*b.down_conv)(x) : adapter_avg_pool(x);
    if (b.in_conv) x = (*b.in_conv)(x);
    Tensor h = b.block2(relu(b.block1(x)));
    return ops::add(h, b.skep ? (*b.skep)(x) : x);
}

}  // namespace

Tensor adapter_avg_pool(const Tensor& x_in) {
    const Tensor x = x_in.to(DType::F32).contiguous();
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const int64_t ph = h % 2, pw = w % 2;
    const int64_t oh = (h + 2 * ph - 2) / 2 + 1, ow = (w + 2 * pw - 2) / 2 + 1;
    Tensor out = Tensor::zeros({n, c, oh, ow});
    const float* src = x.data<float>();
    float* dst = out.data<float>();
    for (int64_t plane = 0; plane < n * c; ++plane) {
        const float* s = src + plane * h * w;
        float* d = dst + plane * oh * ow;
        for (int64_t i = 0; i < oh; ++i)
            for (int64_t j = 0; j < ow; ++j) {
                // count_include_pad: the window's size in the padded input is the divisor.
                const int64_t h0 = 2 * i - ph, w0 = 2 * j - pw;
                const int64_t h1 = std::min(h0 + 2, h + ph), w1 = std::min(w0 + 2, w + pw);
                const float divisor = static_cast<float>((h1 - h0) * (w1 - w0));
                float sum = 0;
                for (int64_t y = std::max<int64_t>(h0, 0); y < std::min(h1, h); ++y)
                    for (int64_t xx = std::max<int64_t>(w0, 0); xx < std::min(w1, w); ++xx) sum += s[y * w + xx];
                d[i * ow + j] = sum / divisor;
            }
    }
    return out;
}

T2IAdapter T2IAdapter::load(const WeightTable& t, ops::Compute mode) {
    T2IAdapter a;
    int64_t cin = 0;
    if (t.has("body.0.in_conv.weight") && !t.has("conv_in.weight")) {
        a.light_ = true;
        cin = t.get("body.0.in_conv.weight").size(1);
    } else if (t.has("conv_in.weight")) {
        cin = t.get("conv_in.weight").size(1);
    } else {
        fail(t, "not a T2I-adapter: neither conv_in.weight nor body.0.in_conv.weight is present");
    }
    if (!a.light_ && (cin == 256 || cin == 768))
        fail(t, "this is an SDXL T2I-adapter (PixelUnshuffle 16, " + std::to_string(cin) + " input channels); weft runs SD1.x adapters");
    if (cin % 64 != 0) fail(t, "the T2I-adapter takes " + std::to_string(cin) + " channels, not a multiple of 8x8 pixels");
    a.in_channels_ = cin / 64;

    if (a.light_) {
        int64_t channels = cin;
        for (int64_t l = 0; t.has("body." + std::to_string(l) + ".in_conv.weight"); ++l) {
            const WeightTable lt = t.sub("body." + std::to_string(l));
            Level level;
            level.down = l > 0;
            const int64_t inter = lt.get("in_conv.weight").size(0);
            level.in_conv = Conv::load(lt, "in_conv", channels, inter, 1, {}, mode);
            for (int64_t k = 0; lt.has("body." + std::to_string(k) + ".block1.weight"); ++k) {
                const WeightTable bt = lt.sub("body." + std::to_string(k));
                level.blocks.push_back(Block{.block1 = Conv::load(bt, "block1", inter, inter, 3, {.padding = {1, 1}}, mode),
                                             .block2 = Conv::load(bt, "block2", inter, inter, 3, {.padding = {1, 1}}, mode)});
            }
            channels = lt.get("out_conv.weight").size(0);
            level.out_conv = Conv::load(lt, "out_conv", inter, channels, 1, {}, mode);
            a.levels_.push_back(std::move(level));
        }
    } else {
        int64_t count = 0;
        while (t.has("body." + std::to_string(count) + ".block1.weight")) ++count;
        if (count == 0 || count % kLevels != 0)
            fail(t, "the T2I-adapter has " + std::to_string(count) + " body blocks; expected a multiple of " + std::to_string(kLevels));
        const int64_t per_level = count / kLevels;
        const Tensor& conv_in = t.get("conv_in.weight");
        int64_t channels = conv_in.size(0);
        a.conv_in_ = Conv::load(t, "conv_in", cin, channels, 3, {.padding = {1, 1}}, mode);
        for (int64_t l = 0; l < kLevels; ++l) {
            Level level;
            for (int64_t j = 0; j < per_level; ++j) {
                const WeightTable bt = t.sub("body." + std::to_string(l * per_level + j));
                Block b;
                b.down = l > 0 && j == 0;
                if (b.down && bt.has("down_opt.op.weight"))
                    b.down_conv = Conv::load(bt, "down_opt.op", channels, channels, 3, {.stride = {2, 2}, .padding = {1, 1}}, mode);
                if (bt.has("in_conv.weight")) {
                    b.in_conv = load_square(bt, "in_conv", channels, {}, mode);
                    channels = b.in_conv->out_channels();
                }
                b.block1 = Conv::load(bt, "block1", channels, channels, 3, {.padding = {1, 1}}, mode);
                b.block2 = load_square(bt, "block2", channels, {}, mode);
                if (bt.has("skep.weight")) b.skep = load_square(bt, "skep", channels, {}, mode);
                level.blocks.push_back(std::move(b));
            }
            a.levels_.push_back(std::move(level));
        }
    }
    if (a.levels_.empty()) fail(t, "the T2I-adapter has no levels");
    return a;
}

std::vector<Tensor> T2IAdapter::forward(const Tensor& hint) const {
    if (hint.dim() != 4 || hint.size(1) != in_channels_ || hint.size(2) % 8 != 0 || hint.size(3) % 8 != 0)
        throw Error(ErrorCode::InvalidInputType, "the T2I-adapter takes [B, " + std::to_string(in_channels_) +
                                              ", H, W] with H and W multiples of 8; got " + hint.describe());
    Tensor x = ops::pixel_unshuffle(hint.to(DType::F32).contiguous(), 8);
    if (conv_in_) x = (*conv_in_)(x);
    std::vector<Tensor> features;
    for (const Level& level : levels_) {
        if (level.down) x = adapter_avg_pool(x);
        if (level.in_conv) x = (*level.in_conv)(x);
        for (const Block& b : level.blocks) x = run_block(b, x);
        if (level.out_conv) x = (*level.out_conv)(x);
        features.push_back(x);
    }
    return features;
}

}  // namespace weft::nets
