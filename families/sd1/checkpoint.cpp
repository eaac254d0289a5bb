#include "families/sd1/checkpoint.h"

#include "families/sd1/unet_weights.h"

#include <weft/error.h>

namespace weft::models {

const std::vector<std::string> kSd1UnetPrefixes = {"model.diffusion_model.", "model.model.", "net.", "model.", ""};

std::optional<std::string> find_prefix(const ModelFile& f, const std::vector<std::string>& candidates, const std::string& probe) {
    for (const std::string& p : candidates)
        if (f.contains(p + probe)) return p;
    return std::nullopt;
}

namespace {

size_t bytes_under(const ModelFile& f, const std::string& prefix) {
    size_t n = 0;
    for (const auto& [name, t] : f.tensors)
        if (name.starts_with(prefix)) n += t.nbytes();
    return n;
}

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
    const nets::WeightTable table(f, prefix);
    // The whole key layout first: a wrong file fails naming its first bad key, before any weight is converted.
    nets::unet_weights(nets::read_unet_config(table)).check(table);
    m->unet = nets::UNet::load(table, {.heads = 8, .mode = mode});
    // SD1.x is always eps, as in ComfyUI (its "v_pred" marker key is read for SDXL files only);
    // a v-prediction SD1 fine-tune is run with the ModelSamplingDiscrete node.
    m->bytes = bytes_under(*f, prefix);
    return m;
}

std::shared_ptr<const Autoencoder> make_vae(std::shared_ptr<const ModelFile> f, const std::string& prefix, ops::Compute mode) {
    auto vae = std::make_shared<Autoencoder>();
    vae->path = f->path;
    vae->vae = nets::Vae::load(nets::WeightTable(f, prefix), mode);
    vae->bytes = bytes_under(*f, prefix);
    return vae;
}

}  // namespace

Checkpoint load_sd1_checkpoint(std::shared_ptr<const ModelFile> f, std::shared_ptr<const ClipTokenizer> tokenizer, ops::Compute mode) {
    const std::string& path = f->path;
    if (!f->contains("model.diffusion_model.input_blocks.0.0.weight"))
        throw Error(ErrorCode::ModelLoadFailed, "the checkpoint has no UNet (model.diffusion_model.*); load a diffusion-model-only file with UNETLoader", path)
            .at_path(path);
    Checkpoint ck;
    ck.model = make_diffusion_model(f, "model.diffusion_model.", mode);
    auto clip_prefix = find_prefix(*f, kClipPrefixes, "embeddings.token_embedding.weight");
    if (!clip_prefix) throw Error(ErrorCode::ModelLoadFailed, "the checkpoint has no CLIP text encoder (cond_stage_model.*)", path).at_path(path);
    ck.clip = make_text_encoder(f, *clip_prefix, std::move(tokenizer), mode);
    ck.vae = make_vae(f, "first_stage_model.", mode);
    return ck;
}

std::shared_ptr<const DiffusionModel> load_sd1_diffusion_model(std::shared_ptr<const ModelFile> f, ops::Compute mode) {
    auto prefix = find_prefix(*f, kSd1UnetPrefixes, "input_blocks.0.0.weight");
    if (!prefix) throw Error(ErrorCode::ModelLoadFailed, "no UNet weights (input_blocks.0.0.weight) in this file", f->path).at_path(f->path);
    return make_diffusion_model(f, *prefix, mode);
}

std::shared_ptr<const TextEncoder> load_sd1_text_encoder(std::shared_ptr<const ModelFile> f, std::shared_ptr<const ClipTokenizer> tokenizer,
                                                         ops::Compute mode) {
    auto prefix = find_prefix(*f, kClipPrefixes, "embeddings.token_embedding.weight");
    if (!prefix) throw Error(ErrorCode::ModelLoadFailed, "no CLIP text encoder weights in this file", f->path).at_path(f->path);
    return make_text_encoder(f, *prefix, std::move(tokenizer), mode);
}

std::shared_ptr<const Autoencoder> load_sd1_vae(std::shared_ptr<const ModelFile> f, ops::Compute mode) {
    auto prefix = find_prefix(*f, kVaePrefixes, "decoder.conv_in.weight");
    if (!prefix) prefix = find_prefix(*f, kVaePrefixes, "encoder.conv_in.weight");
    if (!prefix) throw Error(ErrorCode::ModelLoadFailed, "no VAE weights (decoder.conv_in.weight) in this file", f->path).at_path(f->path);
    return make_vae(f, *prefix, mode);
}

}  // namespace weft::models
