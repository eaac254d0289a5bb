#include "families/sd1/vae.h"

#include <weft/error.h>

#include <cmath>

namespace weft::nets {

VaeResBlock VaeResBlock::load(const WeightTable& t, int64_t in, ops::Compute mode) {
    VaeResBlock r;
    const int64_t out = t.get("conv1.weight").size(0);
    r.out_channels = out;
    r.norm1 = Norm::load(t, "norm1", in, 1e-6f);
    r.conv1 = Conv::load(t, "conv1", in, out, 3, {.padding = {1, 1}}, mode);
    r.norm2 = Norm::load(t, "norm2", out, 1e-6f);
    r.conv2 = Conv::load(t, "conv2", out, out, 3, {.padding = {1, 1}}, mode);
    if (t.has("nin_shortcut.weight")) r.shortcut = Conv::load(t, "nin_shortcut", in, out, 1, {}, mode);
    return r;
}

Tensor VaeResBlock::forward(Tensor x, DType act) const {
    // The norms run inside the convolutions, a band of rows at a time, and x goes as soon as the
    // shortcut has read it: at 512x512 these maps are 128-256 MiB each in F32.
    // Results are laid out channels-last, the convolutions' own layout: no transposes between them.
    Tensor h = conv1(norm1.group_silu_rows(x), act, true);
    Tensor residual = shortcut ? (*shortcut)(x, act, true) : std::move(x);
    x = Tensor();
    h = conv2(norm2.group_silu_rows(h), act, true);
    return ops::add(residual, h, act);
}

VaeAttention VaeAttention::load(const WeightTable& t, int64_t c, ops::Compute mode) {
    // Stored as 1x1 convolutions (LDM files) or linears (converted diffusers files): both load.
    return VaeAttention{Norm::load(t, "norm", c, 1e-6f), Linear::load_pointwise(t, "q", c, c, mode), Linear::load_pointwise(t, "k", c, c, mode),
                        Linear::load_pointwise(t, "v", c, c, mode), Linear::load_pointwise(t, "proj_out", c, c, mode), mode};
}

Tensor VaeAttention::forward(const Tensor& x0) const {
    const Tensor x = x0.dtype() == DType::F32 ? x0 : x0.to(DType::F32);  // at the lowest resolution: small
    const int64_t h = x.size(2), w = x.size(3);
    Tensor tokens = to_tokens(norm.group(x));                 // [B, HW, C]
    Tensor qh = split_heads(q(tokens), 1), kh = split_heads(k(tokens), 1), vh = split_heads(v(tokens), 1);
    Tensor o = merge_heads(ops::attention(qh, kh, vh, {}, mode));
    return ops::add(from_tokens(proj_out(o), h, w), x);
}

Vae::Half Vae::load_half(const WeightTable& t, bool encoder, ops::Compute mode, int64_t& levels) {
    Half half;
    const std::string group = encoder ? "down" : "up";
    levels = count_children(t, group, "block.0.conv1.weight");
    if (levels == 0) throw Error(ErrorCode::ModelLoadFailed, "VAE " + std::string(encoder ? "encoder" : "decoder") + " has no levels", t.path()).at_path(t.path());
    const Tensor& cin = t.get("conv_in.weight");
    int64_t channels = cin.size(0);
    half.conv_in = Conv::load(t, "conv_in", cin.size(1), channels, 3, {.padding = {1, 1}}, mode);
    auto load_level = [&](int64_t i) {
        Level level;
        const std::string p = group + "." + std::to_string(i);
        const int64_t blocks = count_children(t.sub(p), "block", "conv1.weight");
        for (int64_t b = 0; b < blocks; ++b) {
            level.blocks.push_back(VaeResBlock::load(t.sub(p + ".block." + std::to_string(b)), channels, mode));
            channels = level.blocks.back().out_channels;
        }
        if (encoder && i != levels - 1)
            level.resample = Conv::load(t.sub(p + ".downsample"), "conv", channels, channels, 3, {.stride = {2, 2}}, mode);
        if (!encoder && i != 0) level.resample = Conv::load(t.sub(p + ".upsample"), "conv", channels, channels, 3, {.padding = {1, 1}}, mode);
        return level;
    };
    if (encoder) {
        for (int64_t i = 0; i < levels; ++i) half.levels.push_back(load_level(i));
        half.mid1 = VaeResBlock::load(t.sub("mid.block_1"), channels, mode);
    } else {
        half.mid1 = VaeResBlock::load(t.sub("mid.block_1"), channels, mode);
    }
    half.attn = VaeAttention::load(t.sub("mid.attn_1"), channels, mode);
    half.mid2 = VaeResBlock::load(t.sub("mid.block_2"), channels, mode);
    if (!encoder)
        for (int64_t i = levels - 1; i >= 0; --i) half.levels.push_back(load_level(i));  // stored per resolution, run top-down
    half.norm_out = Norm::load(t, "norm_out", channels, 1e-6f);
    const Tensor& cout = t.get("conv_out.weight");
    half.conv_out = Conv::load(t, "conv_out", channels, cout.size(0), 3, {.padding = {1, 1}}, mode);
    return half;
}

Vae Vae::load(const WeightTable& t, ops::Compute mode) {
    Vae v;
    int64_t levels = 0;
    if (t.has("decoder.conv_in.weight")) {
        v.dec_ = load_half(t.sub("decoder"), false, mode, levels);
        v.levels_ = levels;
        v.latent_channels_ = t.get("decoder.conv_in.weight").size(1);
        v.post_quant_ = Conv::load(t, "post_quant_conv", v.latent_channels_, v.latent_channels_, 1, {}, mode);
        v.has_decoder_ = true;
        v.decoder_maps_ = mode == ops::Compute::BF16 ? DType::BF16 : DType::F32;
    }
    if (t.has("encoder.conv_in.weight")) {
        v.enc_ = load_half(t.sub("encoder"), true, mode, levels);
        v.levels_ = levels;
        const int64_t moments = t.get("quant_conv.weight").size(0);
        v.latent_channels_ = moments / 2;
        v.quant_ = Conv::load(t, "quant_conv", moments, moments, 1, {}, mode);
        v.has_encoder_ = true;
    }
    if (!v.has_decoder_ && !v.has_encoder_) throw Error(ErrorCode::ModelLoadFailed, "no VAE weights found under '" + t.prefix() + "'", t.path()).at_path(t.path());
    return v;
}

Tensor Vae::decode(const Tensor& z) const {
    if (!has_decoder_) throw Error(ErrorCode::ModelLoadFailed, "this VAE has no decoder");
    if (z.dim() != 4 || z.size(1) != latent_channels_)
        throw Error(ErrorCode::InvalidInputType, "the VAE decodes latents with " + std::to_string(latent_channels_) + " channels; got " + z.describe());
    const DType act = decoder_maps_;
    Tensor h = dec_.conv_in((*post_quant_)(z), act, true);
    h = dec_.mid2.forward(dec_.attn.forward(dec_.mid1.forward(std::move(h), act)), act);
    for (const Level& level : dec_.levels) {
        for (const VaeResBlock& b : level.blocks) h = b.forward(std::move(h), act);
        if (level.resample) {
            h = (*level.resample)(ops::UpsampleNearestRows(h, h.size(2) * 2, h.size(3) * 2), act, true);
        }
    }
    return dec_.conv_out(dec_.norm_out.group_silu_rows(h));
}

Tensor Vae::encode(const Tensor& x) const {
    if (!has_encoder_) throw Error(ErrorCode::ModelLoadFailed, "this VAE has no encoder");
    Tensor h = enc_.conv_in(x);
    for (const Level& level : enc_.levels) {
        for (const VaeResBlock& b : level.blocks) h = b.forward(std::move(h));
        // Asymmetric padding (right and bottom only), then a stride-2 convolution without padding.
        if (level.resample) h = (*level.resample)(ops::pad(h, {0, 1, 0, 1}));
    }
    h = enc_.mid2.forward(enc_.attn.forward(enc_.mid1.forward(std::move(h))));
    Tensor moments = (*quant_)(enc_.conv_out(enc_.norm_out.group_silu_rows(h)));
    return moments.slice(1, 0, latent_channels_).contiguous();
}

}  // namespace weft::nets
