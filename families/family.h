// families/family.h — the model-family seam: what a family (SD1 now; SDXL, Wan, LTX, Flux next)
// declares, and the loaders that detect a file's family and dispatch to it.
//
//   Checkpoint ck = load_checkpoint("models/checkpoints/x.safetensors", tokenizer);  // detects, loads
//   const Family& f = detect_family(file);      // throws naming the file and what its keys show
//   float scale = f.latent.scale_factor;        // 0.18215 for SD1
//
// Every family is one row of families/registry.cpp. Detection reads only the file's tensor index
// (names and shapes; no data is touched), so it is cheap on a mapped multi-GB file. Upscale models
// (ESRGAN, SRVGG) are not families: they have no latent, text encoder or sampling, and
// families/upscale/upscale_model.cpp keeps their own small table of architectures.
#pragma once

#include "families/model_parts.h"
#include "tensor/model_file.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace weft::models {

/// What a family's detector saw in a file: whether it is this family's, and in words what the keys
/// and shapes showed ("SD1 UNet under 'model.diffusion_model.' (320 channels, context 768)"),
/// which an error quotes when no family matches.
struct Detection {
    bool matches = false;
    std::string saw;
};

/// The family's latent space (ComfyUI's latent_formats.py).
struct LatentFormat {
    int64_t channels = 4;
    float scale_factor = 1.0f;  // model space = (latent - shift) * scale
    float shift_factor = 0.0f;
    int64_t spatial_downscale = 8;   // pixels per latent pixel, each side
    int64_t temporal_downscale = 1;  // frames per latent frame (video families)
    /// Latent2RGB preview: one (R, G, B) row per channel, then a bias.
    std::vector<std::array<float, 3>> rgb_factors;
    std::array<float, 3> rgb_bias = {0, 0, 0};
};

/// How the family's network is sampled. The sampling layer owns the implementations
/// (sampling/model_sampling.h); a family names its kind and prediction.
struct ModelSamplingType {
    enum class Schedule : uint8_t { Discrete, Flow } schedule = Schedule::Discrete;
    Prediction prediction = Prediction::Eps;
};

struct Family {
    const char* name;         // "sd1": the name errors and logs use
    const char* description;  // "Stable Diffusion 1.x"
    /// A checkpoint or diffusion-model-only file of this family?
    Detection (*detect)(const ModelFile&);
    /// A standalone VAE file of this family's latent format?
    Detection (*detect_vae)(const ModelFile&);
    const char* clip_type;    // CLIPLoader's `type` for the family's text encoder
    LatentFormat latent;
    ModelSamplingType sampling;

    Checkpoint (*load_checkpoint)(std::shared_ptr<const ModelFile>, std::shared_ptr<const ClipTokenizer>, ops::Compute);
    std::shared_ptr<const DiffusionModel> (*load_diffusion_model)(std::shared_ptr<const ModelFile>, ops::Compute);
    std::shared_ptr<const TextEncoder> (*load_text_encoder)(std::shared_ptr<const ModelFile>, std::shared_ptr<const ClipTokenizer>, ops::Compute);
    std::shared_ptr<const Autoencoder> (*load_vae)(std::shared_ptr<const ModelFile>, ops::Compute);
};

/// Every registered family, in detection order (families/registry.cpp).
const std::vector<Family>& registered_families();
/// The family named `name`, or null.
const Family* find_family(const std::string& name);
/// The family whose text encoder CLIPLoader's `type` names ("stable_diffusion" -> sd1), or null.
const Family* family_for_clip_type(const std::string& type);

/// The first family whose detector matches `file`. Throws weft::Error (model_load_failed) naming
/// the file, what its keys show and each family's reason, and the known families:
/// "model.diffusion_model.* (780 tensors) with 'double_blocks' (Flux-like) — no registered model
/// family matches (known: sd1)".
const Family& detect_family(const ModelFile& file);
/// The same for a standalone VAE file.
const Family& detect_vae_family(const ModelFile& file);
/// Whether any tensor name in `file` contains `needle` (detectors' marker test).
bool any_key_contains(const ModelFile& file, const std::string& needle);
/// In words, what a file's keys show: its largest key groups and the architecture markers found.
std::string describe_keys(const ModelFile& file);

/// The loaders the nodes call: open `path`, detect its family, call the family's loader.
Checkpoint load_checkpoint(const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer, ops::Compute mode = ops::Compute::F32);
std::shared_ptr<const DiffusionModel> load_diffusion_model(const std::string& path, ops::Compute mode = ops::Compute::F32);
std::shared_ptr<const Autoencoder> load_autoencoder(const std::string& path, ops::Compute mode = ops::Compute::F32);
/// A text encoder of `family` (CLIPLoader picks it by type, not by keys).
std::shared_ptr<const TextEncoder> load_text_encoder(const Family& family, const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer,
                                                     ops::Compute mode = ops::Compute::F32);

}  // namespace weft::models
