// families/model_parts.h — what the loaders hand to the nodes: ComfyUI's MODEL, CLIP and VAE, and
// a checkpoint's three of them. Shared, immutable; nodes pass them along by reference.
//
// Today they hold SD1's networks (the only registered diffusion family); a second family turns
// DiffusionModel's UNet into a sampling/diffusion_network.h pointer and the text encoder and VAE
// into their own seams.
#pragma once

#include "blocks/text/clip_tokenizer.h"
#include "families/sd1/clip_text.h"
#include "families/sd1/unet.h"
#include "families/sd1/vae.h"
#include "sampling/guidance.h"
#include "sampling/model_sampling.h"

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

/// The three models a single-file checkpoint holds.
struct Checkpoint {
    std::shared_ptr<const DiffusionModel> model;
    std::shared_ptr<const TextEncoder> clip;
    std::shared_ptr<const Autoencoder> vae;
};

}  // namespace weft::models
