#include "families/sd1/sd1_family.h"

#include "families/sd1/checkpoint.h"
#include "sampling/latent_preview.h"

namespace weft::models {

namespace {

/// An openaimodel UNet with 4-d input conv and conv (not linear) proj_in, no ADM input, beside
/// no OpenCLIP text encoder. Context width and channels are free: reduced demo and test models
/// are SD1 too.
Detection detect_sd1(const ModelFile& f) {
    auto prefix = find_prefix(f, kSd1UnetPrefixes, "input_blocks.0.0.weight");
    if (!prefix) return {false, "no UNet input convolution (input_blocks.0.0.weight)"};
    const std::string& p = *prefix;
    const std::string where = "a UNet under '" + p + "'";
    const Tensor& first = f.at(p + "input_blocks.0.0.weight");
    if (first.dim() != 4) return {false, where + " whose input_blocks.0.0.weight is not a convolution"};
    if (f.contains(p + "label_emb.0.0.weight")) return {false, where + " with label_emb (SDXL's ADM input)"};
    int64_t context = 0;
    for (const auto& [name, t] : f.tensors) {
        if (!name.starts_with(p)) continue;
        if (name.ends_with(".proj_in.weight") && t.dim() == 2) return {false, where + " with linear proj_in (the SD2.x/SDXL transformer layout)"};
        if (context == 0 && name.ends_with(".attn2.to_k.weight") && t.dim() == 2) context = t.size(1);
    }
    if (any_key_contains(f, "cond_stage_model.model.transformer.resblocks")) return {false, where + " beside an OpenCLIP text encoder (SD2.x)"};
    return {true, "SD1 " + where.substr(2) + " (" + std::to_string(first.size(0)) + " channels, context " + std::to_string(context) + ")"};
}

/// The KL-f8 autoencoder with 4 latent channels (post_quant_conv / decoder.conv_in over 4).
Detection detect_sd1_vae(const ModelFile& f) {
    for (const std::string p : {"first_stage_model.", "vae.", ""}) {
        const std::string key = p + "decoder.conv_in.weight";
        if (!f.contains(key)) continue;
        const Tensor& w = f.at(key);
        if (w.dim() == 4 && w.size(1) == 4) return {true, "SD VAE decoder under '" + p + "'"};
        return {false, "a VAE decoder under '" + p + "' taking " + shape_string(w.shape()) + " (not 4 latent channels, 2-d)"};
    }
    if (f.contains("encoder.conv_in.weight") || f.contains("first_stage_model.encoder.conv_in.weight")) return {true, "SD VAE encoder"};
    return {false, "no VAE decoder (decoder.conv_in.weight)"};
}

LatentFormat sd1_latent() {
    LatentFormat l;
    l.channels = 4;
    l.scale_factor = 0.18215f;
    l.spatial_downscale = 8;
    for (const auto& row : kSd15LatentRgbFactors) l.rgb_factors.push_back({row[0], row[1], row[2]});
    return l;
}

}  // namespace

const Family& sd1_family() {
    static const Family f{
        .name = "sd1",
        .description = "Stable Diffusion 1.x",
        .detect = detect_sd1,
        .detect_vae = detect_sd1_vae,
        .clip_type = "stable_diffusion",
        .latent = sd1_latent(),
        .sampling = {.schedule = ModelSamplingType::Schedule::Discrete, .prediction = Prediction::Eps},
        .load_checkpoint = load_sd1_checkpoint,
        .load_diffusion_model = load_sd1_diffusion_model,
        .load_text_encoder = load_sd1_text_encoder,
        .load_vae = load_sd1_vae,
    };
    return f;
}

}  // namespace weft::models
