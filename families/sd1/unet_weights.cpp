#include "families/sd1/unet_weights.h"

#include <weft/error.h>

namespace weft::nets {

namespace {

void resblock(WeightLayout& l, const std::string& p, int64_t in, int64_t out, int64_t emb) {
    l.norm(p + "in_layers.0", in);
    l.conv(p + "in_layers.2", in, out, 3);
    l.linear(p + "emb_layers.1", emb, out);
    l.norm(p + "out_layers.0", out);
    l.conv(p + "out_layers.3", out, out, 3);
    if (in != out) l.conv(p + "skip_connection", in, out, 1);
}

void transformer(WeightLayout& l, const std::string& p, int64_t ch, int64_t ctx) {
    l.norm(p + "norm", ch);
    l.conv(p + "proj_in", ch, ch, 1);
    const std::string b = p + "transformer_blocks.0.";
    for (const char* n : {"norm1", "norm2", "norm3"}) l.norm(b + n, ch);
    for (const char* a : {"attn1", "attn2"}) {
        const int64_t kv = std::string(a) == "attn1" ? ch : ctx;
        l.linear(b + a + ".to_q", ch, ch, false);
        l.linear(b + a + ".to_k", kv, ch, false);
        l.linear(b + a + ".to_v", kv, ch, false);
        l.linear(b + a + ".to_out.0", ch, ch);
    }
    l.linear(b + "ff.net.0.proj", ch, ch * 8);  // GEGLU: value and gate
    l.linear(b + "ff.net.2", ch * 4, ch);
    l.conv(p + "proj_out", ch, ch, 1);
}

const Shape& shape_of(const WeightTable& t, const std::string& name) { return t.file().at(t.prefix() + name).shape(); }

}  // namespace

Sd1UNetConfig read_unet_config(const WeightTable& t) {
    auto fail = [&](const std::string& why) { return Error(ErrorCode::ModelLoadFailed, why, t.path()).at_path(t.path()); };
    if (!t.has("input_blocks.0.0.weight") || shape_of(t, "input_blocks.0.0.weight").size() != 4)
        throw fail("no UNet input convolution '" + t.prefix() + "input_blocks.0.0.weight'");
    Sd1UNetConfig c;
    const Shape& first = shape_of(t, "input_blocks.0.0.weight");
    c.model_channels = first[0];
    c.in_channels = first[1];
    c.out_channels = t.has("out.2.weight") ? shape_of(t, "out.2.weight")[0] : c.in_channels;
    c.mult.clear();
    c.attention.clear();
    // Input blocks 1.. are res-blocks (each maybe with a transformer) grouped into levels by the
    // downsamplers between them; the first level's count is the res-blocks per level (a file with
    // uneven levels then fails the table check, naming the first key that differs).
    int64_t in_level = 0, mult = 1;
    bool attention = false;
    auto close_level = [&] {
        if (c.mult.empty()) c.res_blocks = in_level;
        c.mult.push_back(mult);
        c.attention.push_back(attention);
        in_level = 0;
        attention = false;
    };
    for (int64_t n = 1;; ++n) {
        const std::string b = "input_blocks." + std::to_string(n) + ".";
        if (t.has(b + "0.out_layers.3.weight")) {
            if (in_level++ == 0) {
                mult = shape_of(t, b + "0.out_layers.3.weight")[0] / c.model_channels;
                attention = t.has(b + "1.proj_in.weight");
            }
        } else if (t.has(b + "0.op.weight")) {
            close_level();
        } else {
            if (in_level == 0) throw fail("UNet input block " + std::to_string(n) + " is neither a res-block nor a downsampler");
            close_level();
            break;
        }
    }
    c.middle_attention = t.has("middle_block.1.proj_in.weight");
    for (int64_t n = 1; n < 64; ++n) {
        const std::string key = "input_blocks." + std::to_string(n) + ".1.transformer_blocks.0.attn2.to_k.weight";
        if (t.has(key)) {
            c.context_dim = shape_of(t, key)[1];
            return c;
        }
    }
    const std::string middle = "middle_block.1.transformer_blocks.0.attn2.to_k.weight";
    if (t.has(middle)) c.context_dim = shape_of(t, middle)[1];
    return c;
}

std::vector<int64_t> add_unet_encoder(WeightLayout& l, const std::string& p, const Sd1UNetConfig& c) {
    const int64_t mc = c.model_channels, emb = 4 * mc;
    l.linear(p + "time_embed.0", mc, emb);
    l.linear(p + "time_embed.2", emb, emb);
    l.conv(p + "input_blocks.0.0", c.in_channels, mc, 3);
    std::vector<int64_t> widths = {mc};
    int64_t ch = mc, n = 1;
    for (size_t level = 0; level < c.mult.size(); ++level) {
        for (int64_t r = 0; r < c.res_blocks; ++r, ++n) {
            const std::string b = p + "input_blocks." + std::to_string(n) + ".";
            resblock(l, b + "0.", ch, mc * c.mult[level], emb);
            ch = mc * c.mult[level];
            if (c.attention[level]) transformer(l, b + "1.", ch, c.context_dim);
            widths.push_back(ch);
        }
        if (level + 1 < c.mult.size()) {
            l.conv(p + "input_blocks." + std::to_string(n) + ".0.op", ch, ch, 3);
            widths.push_back(ch);
            ++n;
        }
    }
    resblock(l, p + "middle_block.0.", ch, ch, emb);
    if (c.middle_attention) {
        transformer(l, p + "middle_block.1.", ch, c.context_dim);
        resblock(l, p + "middle_block.2.", ch, ch, emb);
    } else {
        resblock(l, p + "middle_block.1.", ch, ch, emb);
    }
    return widths;
}

WeightLayout unet_weights(const Sd1UNetConfig& c, const std::string& p) {
    WeightLayout l;
    std::vector<int64_t> skips = add_unet_encoder(l, p, c);
    const int64_t mc = c.model_channels, emb = 4 * mc;
    int64_t ch = skips.back(), n = 0;
    // Each output level has one res-block more than its input level: the extra one takes the
    // downsampler's (or the first convolution's) skip.
    for (size_t li = c.mult.size(); li-- > 0;) {
        for (int64_t r = 0; r <= c.res_blocks; ++r, ++n) {
            const std::string b = p + "output_blocks." + std::to_string(n) + ".";
            const int64_t skip = skips.back();
            skips.pop_back();
            resblock(l, b + "0.", ch + skip, mc * c.mult[li], emb);
            ch = mc * c.mult[li];
            int64_t k = 1;
            if (c.attention[li]) transformer(l, b + std::to_string(k++) + ".", ch, c.context_dim);
            if (li > 0 && r == c.res_blocks) l.conv(b + std::to_string(k) + ".conv", ch, ch, 3);
        }
    }
    l.norm(p + "out.0", ch);
    l.conv(p + "out.2", ch, c.out_channels, 3);
    return l;
}

WeightLayout controlnet_weights(const Sd1UNetConfig& c, const Sd1ControlHint& hint, const std::string& p) {
    WeightLayout l;
    const std::vector<int64_t> widths = add_unet_encoder(l, p, c);
    int64_t ch = hint.channels;
    for (size_t i = 0; i <= hint.widths.size(); ++i) {
        const int64_t out = i < hint.widths.size() ? hint.widths[i] : c.model_channels;
        l.conv(p + "input_hint_block." + std::to_string(2 * i), ch, out, 3);
        ch = out;
    }
    for (size_t i = 0; i < widths.size(); ++i) l.conv(p + "zero_convs." + std::to_string(i) + ".0", widths[i], widths[i], 1);
    l.conv(p + "middle_block_out.0", widths.back(), widths.back(), 1);
    return l;
}

}  // namespace weft::nets
