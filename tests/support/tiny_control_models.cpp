#include "tiny_control_models.h"

#include "tensor/safetensors.h"

#include <cmath>

namespace weft::testing {

float TinyWeights::normal() {
    // Box-Muller on a fixed engine: the same file on every platform.
    const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) / 9007199254740993.0;
    const double u2 = static_cast<double>(rng_() >> 11) / 9007199254740992.0;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
}

Tensor TinyWeights::values(const Shape& shape, float scale, float offset) {
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& x : v) x = offset + scale * normal();
    return Tensor::from_vector(shape, v).to(dtype_);
}

void TinyWeights::weight(const std::string& name, Shape shape) {
    int64_t fan_in = 1;
    for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    add(name, values(shape, 1.0f / std::sqrt(static_cast<float>(fan_in)), 0.0f));
}

void TinyWeights::bias(const std::string& name, int64_t n) { add(name, values({n}, 0.1f, 0.0f)); }

void TinyWeights::linear(const std::string& name, int64_t in, int64_t out, bool with_bias) {
    weight(name + ".weight", {out, in});
    if (with_bias) bias(name + ".bias", out);
}

void TinyWeights::conv(const std::string& name, int64_t in, int64_t out, int64_t k) {
    weight(name + ".weight", {out, in, k, k});
    bias(name + ".bias", out);
}

void TinyWeights::norm(const std::string& name, int64_t c) {
    add(name + ".weight", values({c}, 0.1f, 1.0f));
    bias(name + ".bias", c);
}

void TinyWeights::write(const std::filesystem::path& path) const {
    std::filesystem::create_directories(path.parent_path());
    write_safetensors(path.string(), tensors);
}

namespace {

void resblock(TinyWeights& w, const std::string& p, int64_t in, int64_t out, int64_t emb) {
    w.norm(p + "in_layers.0", in);
    w.conv(p + "in_layers.2", in, out, 3);
    w.linear(p + "emb_layers.1", emb, out);
    w.norm(p + "out_layers.0", out);
    w.conv(p + "out_layers.3", out, out, 3);
    if (in != out) w.conv(p + "skip_connection", in, out, 1);
}

void transformer(TinyWeights& w, const std::string& p, int64_t ch, int64_t ctx) {
    w.norm(p + "norm", ch);
    w.conv(p + "proj_in", ch, ch, 1);
    const std::string b = p + "transformer_blocks.0.";
    for (const char* n : {"norm1", "norm2", "norm3"}) w.norm(b + n, ch);
    for (const char* a : {"attn1", "attn2"}) {
        const int64_t kv = std::string(a) == "attn1" ? ch : ctx;
        w.linear(b + a + ".to_q", ch, ch, false);
        w.linear(b + a + ".to_k", kv, ch, false);
        w.linear(b + a + ".to_v", kv, ch, false);
        w.linear(b + a + ".to_out.0", ch, ch);
    }
    w.linear(b + "ff.net.0.proj", ch, ch * 8);
    w.linear(b + "ff.net.2", ch * 4, ch);
    w.conv(p + "proj_out", ch, ch, 1);
}

/// time_embed + input blocks + middle block; returns the skip widths.
std::vector<int64_t> add_encoder(TinyWeights& w, const std::string& p, const TinyUNetSpec& s) {
    const int64_t mc = s.model_channels, emb = 4 * mc;
    w.linear(p + "time_embed.0", mc, emb);
    w.linear(p + "time_embed.2", emb, emb);
    w.conv(p + "input_blocks.0.0", s.in_channels, mc, 3);
    std::vector<int64_t> widths = {mc};
    int64_t ch = mc, n = 1;
    for (size_t level = 0; level < s.mult.size(); ++level) {
        for (int64_t r = 0; r < s.res_blocks; ++r, ++n) {
            const std::string b = p + "input_blocks." + std::to_string(n) + ".";
            resblock(w, b + "0.", ch, mc * s.mult[level], emb);
            ch = mc * s.mult[level];
            if (s.attention[level]) transformer(w, b + "1.", ch, s.context_dim);
            widths.push_back(ch);
        }
        if (level + 1 < s.mult.size()) {
            w.conv(p + "input_blocks." + std::to_string(n) + ".0.op", ch, ch, 3);
            widths.push_back(ch);
            ++n;
        }
    }
    resblock(w, p + "middle_block.0.", ch, ch, emb);
    if (s.middle_attention) {
        transformer(w, p + "middle_block.1.", ch, s.context_dim);
        resblock(w, p + "middle_block.2.", ch, ch, emb);
    } else {
        resblock(w, p + "middle_block.1.", ch, ch, emb);
    }
    return widths;
}

}  // namespace

std::vector<int64_t> input_block_widths(const TinyUNetSpec& spec) {
    TinyWeights scratch(0);
    return add_encoder(scratch, "", spec);
}

void add_unet(TinyWeights& w, const std::string& p, const TinyUNetSpec& s) {
    std::vector<int64_t> skips = add_encoder(w, p, s);
    const int64_t mc = s.model_channels, emb = 4 * mc;
    int64_t ch = skips.back(), n = 0;
    for (size_t li = s.mult.size(); li-- > 0;) {
        for (int64_t r = 0; r <= s.res_blocks; ++r, ++n) {
            const std::string b = p + "output_blocks." + std::to_string(n) + ".";
            const int64_t skip = skips.back();
            skips.pop_back();
            resblock(w, b + "0.", ch + skip, mc * s.mult[li], emb);
            ch = mc * s.mult[li];
            int64_t k = 1;
            if (s.attention[li]) transformer(w, b + std::to_string(k++) + ".", ch, s.context_dim);
            if (li > 0 && r == s.res_blocks) w.conv(b + std::to_string(k) + ".conv", ch, ch, 3);
        }
    }
    w.norm(p + "out.0", ch);
    w.conv(p + "out.2", ch, s.in_channels, 3);
}

void add_controlnet(TinyWeights& w, const std::string& p, const TinyUNetSpec& s) {
    std::vector<int64_t> widths = add_encoder(w, p, s);
    int64_t ch = s.hint_channels;
    for (size_t i = 0; i <= s.hint_widths.size(); ++i) {
        const int64_t out = i < s.hint_widths.size() ? s.hint_widths[i] : s.model_channels;
        w.conv(p + "input_hint_block." + std::to_string(2 * i), ch, out, 3);
        ch = out;
    }
    for (size_t i = 0; i < widths.size(); ++i) w.conv(p + "zero_convs." + std::to_string(i) + ".0", widths[i], widths[i], 1);
    w.conv(p + "middle_block_out.0", widths.back(), widths.back(), 1);
}

void add_t2i_full(TinyWeights& w, int64_t c, int64_t per_level, int64_t cin, bool conv_down, int64_t ksize) {
    const std::vector<int64_t> widths = {c, 2 * c, 4 * c, 4 * c};
    w.conv("conv_in", cin, c, 3);
    int64_t ch = c, n = 0;
    for (size_t l = 0; l < widths.size(); ++l)
        for (int64_t j = 0; j < per_level; ++j, ++n) {
            const std::string b = "body." + std::to_string(n) + ".";
            if (l > 0 && j == 0 && conv_down) w.conv(b + "down_opt.op", ch, ch, 3);
            if (ch != widths[l]) w.conv(b + "in_conv", ch, widths[l], ksize);
            ch = widths[l];
            w.conv(b + "block1", ch, ch, 3);
            w.conv(b + "block2", ch, ch, ksize);
        }
}

void add_t2i_light(TinyWeights& w, const std::vector<int64_t>& widths, int64_t per_level, int64_t cin) {
    int64_t ch = cin;
    for (size_t l = 0; l < widths.size(); ++l) {
        const std::string b = "body." + std::to_string(l) + ".";
        const int64_t inter = widths[l] / 4;
        w.conv(b + "in_conv", ch, inter, 1);
        for (int64_t k = 0; k < per_level; ++k) {
            w.conv(b + "body." + std::to_string(k) + ".block1", inter, inter, 3);
            w.conv(b + "body." + std::to_string(k) + ".block2", inter, inter, 3);
        }
        w.conv(b + "out_conv", inter, widths[l], 1);
        ch = widths[l];
    }
}

}  // namespace weft::testing
