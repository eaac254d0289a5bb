// families/sd1/checkpoint.h — SD1.x single-file checkpoints: family detection and the three models a
// checkpoint holds (UNet + its noise schedule, CLIP text encoder, VAE).
//
//   Sd1Checkpoint ck = load_sd1_checkpoint("models/checkpoints/sd15.safetensors", tokenizer);
//   // ck.model, ck.clip, ck.vae are shared, immutable; nodes pass them along by reference.
#pragma once

#include "blocks/text/clip_tokenizer.h"
#include "families/sd1/clip_text.h"
#include "families/sd1/unet.h"
#include "families/sd1/vae.h"
#include "sampling/guidance.h"
#include "sampling/model_sampling.h"
#include "tensor/model_file.h"

#include <memory>
#include <string>

namespace weft::models {

/// The diffusion model (ComfyUI's MODEL). Copying one is cheap: the UNet's layers are shared, so
/// patch nodes (ModelSamplingDiscrete, RescaleCFG) copy the struct and change what they patch.
struct DiffusionModel {
    std::string path;
    nets::UNet unet;
    ModelSamplingDiscrete sampling = ModelSamplingDiscrete::sd1();
    GuidanceOptions guidance;  // sampling patches (RescaleCFG's cfg function, post-CFG functions)
    size_t bytes = 0;
};

/// The text encoder with its tokenizer and the layer CLIPSetLastLayer chose (ComfyUI's CLIP).
struct TextEncoder {
    std::string path;
    std::shared_ptr<const nets::ClipText> net;
    std::shared_ptr<const ClipTokenizer> tokenizer;
    int64_t layer = -1;
    size_t bytes = 0;
};

/// ComfyUI's VAE.
struct Autoencoder {
    std::string path;
    nets::Vae vae;
    size_t bytes = 0;
};

struct Sd1Checkpoint {
    std::shared_ptr<const DiffusionModel> model;
    std::shared_ptr<const TextEncoder> clip;
    std::shared_ptr<const Autoencoder> vae;
};

/// "sd1", or a description of another family ("sdxl", "sd2", "flux", "unknown"), from the keys.
std::string detect_family(const ModelFile& file);

/// Loads an SD1.x checkpoint; throws weft::Error naming the file for another family, missing keys
/// or wrong shapes. `tokenizer` may be null when no CLIP output is wanted.
Sd1Checkpoint load_sd1_checkpoint(const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer,
                                  ops::Compute mode = ops::Compute::F32);

/// Loaders for single parts (UNETLoader, CLIPLoader, VAELoader): the keys may carry the
/// checkpoint prefixes or none.
std::shared_ptr<const DiffusionModel> load_diffusion_model(const std::string& path, ops::Compute mode = ops::Compute::F32);
std::shared_ptr<const TextEncoder> load_text_encoder(const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer,
                                                     ops::Compute mode = ops::Compute::F32);
std::shared_ptr<const Autoencoder> load_autoencoder(const std::string& path, ops::Compute mode = ops::Compute::F32);

}  // namespace weft::models
