#include "families/sd1/checkpoint.h"

#include <weft/error.h>

namespace weft::models {

namespace {

std::shared_ptr<const ModelFile> open_shared(const std::string& path) {
    return std::make_shared<const ModelFile>(open_model_file(path));
}

size_t bytes_under(const ModelFile& f, const std::string& prefix) {
    size_t n = 0;
    for (const auto& [name, t] : f.tensors)
        if (name.starts_with(prefix)) n += t.nbytes();
    return n;
}

/// The prefix under which `probe` exists among `candidates`, or nullopt.
std::optional<std::string> find_prefix(const ModelFile& f, const std::vector<std::string>& candidates, const std::string& probe) {
    for (const std::string& p : candidates)
        if (f.contains(p + probe)) return p;
    return std::nullopt;
}

const std::vector<std::string> kUnetPrefixes = {"model.diffusion_model.", "model.model.", "net.", "model.", ""};
const std::vector<std::string> kClipPrefixes = {"cond_stage_model.transformer.text_model.", "cond_stage_model.transformer.",
                                                "clip_l.transformer.text_model.", "transformer.text_model.", "text_model.", ""};
const std::vector<std::string> kVaePrefixes = {"first_stage_model.", "vae.", ""};

// CLIP's head width is 64 in every SD text encoder.
int64_t clip_heads(int64_t width) { return std::max<int64_t>(1, width / 64); }

std::shared_ptr<const TextEncoder> make_text_encoder(std::shared_ptr<const ModelFile> f, const std::string& prefix,
                                                     std::shared_ptr<const ClipTokenizer> tokenizer, ops::Compute mode) {
    auto te = std::make_shared<TextEncoder>();
    te->path = f->path;
    const int64_t width = f->at(prefix + "embeddings.token_embedding.weight").size(1);
    te->net = std::make_shared<const nets::ClipText>(nets::ClipText::load(nets::WeightTable(f, prefix), {.heads = clip_heads(width), .mode = mode}));
    te->tokenizer = std::move(tokenizer);
    te->bytes = bytes_under(*f, prefix);
    return te;
}

std::shared_ptr<const DiffusionModel> make_diffusion_model(std::shared_ptr<const ModelFile> f, const std::string& prefix, ops::Compute mode) {
    auto m = std::make_shared<DiffusionModel>();
    m->path = f->path;
    m->unet = nets::UNet::load(nets::WeightTable(f, prefix), {.heads = 8, .mode = mode});
    // SD1.x is always eps, as in ComfyUI (its "v_pred" marker key is read for SDXL files only);
    // a v-prediction SD1 fine-tune is run with the ModelSamplingDiscrete node.
    m->bytes = bytes_under(*f, prefix);
    return m;
}

}  // namespace

std::string detect_family(const ModelFile& f) {
    auto has_any = [&](const std::string& needle) {
        for (const auto& [name, t] : f.tensors)
            if (name.find(needle) != std::string::npos) return true;
        return false;
    };
    if (has_any("joint_blocks.0.context_block")) return "sd3";
    if (has_any("double_blocks.0.") || has_any("txt_in.")) return "flux";
    if (has_any("conditioner.embedders.1.model.") || has_any("label_emb.0.0.weight")) return "sdxl";
    auto unet = find_prefix(f, kUnetPrefixes, "input_blocks.0.0.weight");
    if (!unet) return "unknown";
    const std::string key = *unet + "input_blocks.1.1.proj_in.weight";
    if (f.contains(key) && f.at(key).dim() == 2) return "sd2";
    if (has_any("cond_stage_model.model.transformer.resblocks")) return "sd2";
    return "sd1";
}

Sd1Checkpoint load_sd1_checkpoint(const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer, ops::Compute mode) {
    auto f = open_shared(path);
    const std::string family = detect_family(*f);
    if (family != "sd1")
        throw Error("model_load_failed", "this checkpoint is of the " + family + " family; weft runs SD1.x checkpoints so far", path).at_path(path);
    Sd1Checkpoint ck;
    ck.model = make_diffusion_model(f, "model.diffusion_model.", mode);
    auto clip_prefix = find_prefix(*f, kClipPrefixes, "embeddings.token_embedding.weight");
    if (!clip_prefix) throw Error("model_load_failed", "the checkpoint has no CLIP text encoder (cond_stage_model.*)", path).at_path(path);
    ck.clip = make_text_encoder(f, *clip_prefix, std::move(tokenizer), mode);
    auto vae = std::make_shared<Autoencoder>();
    vae->path = path;
    vae->vae = nets::Vae::load(nets::WeightTable(f, "first_stage_model."), mode);
    vae->bytes = bytes_under(*f, "first_stage_model.");
    ck.vae = std::move(vae);
    return ck;
}

std::shared_ptr<const DiffusionModel> load_diffusion_model(const std::string& path, ops::Compute mode) {
    auto f = open_shared(path);
    auto prefix = find_prefix(*f, kUnetPrefixes, "input_blocks.0.0.weight");
    if (!prefix) throw Error("model_load_failed", "no UNet weights (input_blocks.0.0.weight) in this file", path).at_path(path);
    return make_diffusion_model(f, *prefix, mode);
}

std::shared_ptr<const TextEncoder> load_text_encoder(const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer, ops::Compute mode) {
    auto f = open_shared(path);
    auto prefix = find_prefix(*f, kClipPrefixes, "embeddings.token_embedding.weight");
    if (!prefix) throw Error("model_load_failed", "no CLIP text encoder weights in this file", path).at_path(path);
    return make_text_encoder(f, *prefix, std::move(tokenizer), mode);
}

std::shared_ptr<const Autoencoder> load_autoencoder(const std::string& path, ops::Compute mode) {
    auto f = open_shared(path);
    auto prefix = find_prefix(*f, kVaePrefixes, "decoder.conv_in.weight");
    if (!prefix) prefix = find_prefix(*f, kVaePrefixes, "encoder.conv_in.weight");
    if (!prefix) throw Error("model_load_failed", "no VAE weights (decoder.conv_in.weight) in this file", path).at_path(path);
    auto vae = std::make_shared<Autoencoder>();
    vae->path = path;
    vae->vae = nets::Vae::load(nets::WeightTable(f, *prefix), mode);
    vae->bytes = bytes_under(*f, *prefix);
    return vae;
}

}  // namespace weft::models
