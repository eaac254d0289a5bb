// families/sd1/checkpoint.h — SD1.x's loaders: a single-file checkpoint (UNet + its noise schedule,
// CLIP text encoder, VAE) and its parts alone, from an opened model file. The family registry
// (families/family.h) detects the family and calls these; the UNet is checked against its weight
// table (families/sd1/unet_weights.h) before it is built.
//
//   Checkpoint ck = load_sd1_checkpoint(file, tokenizer);   // or models::load_checkpoint(path, ...)
#pragma once

#include "families/model_parts.h"
#include "tensor/model_file.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::models {

/// Where SD1's parts sit in a file: checkpoint prefixes first, then those of single-part files.
extern const std::vector<std::string> kSd1UnetPrefixes;
/// The prefix under which `probe` exists among `candidates`, or nullopt.
std::optional<std::string> find_prefix(const ModelFile& f, const std::vector<std::string>& candidates, const std::string& probe);

/// Each throws weft::Error naming the file for missing keys or wrong shapes; `tokenizer` may be
/// null when no CLIP output is wanted. The single-part loaders accept the checkpoint prefixes or none.
Checkpoint load_sd1_checkpoint(std::shared_ptr<const ModelFile> file, std::shared_ptr<const ClipTokenizer> tokenizer, ops::Compute mode);
std::shared_ptr<const DiffusionModel> load_sd1_diffusion_model(std::shared_ptr<const ModelFile> file, ops::Compute mode);
std::shared_ptr<const TextEncoder> load_sd1_text_encoder(std::shared_ptr<const ModelFile> file, std::shared_ptr<const ClipTokenizer> tokenizer,
                                                         ops::Compute mode);
std::shared_ptr<const Autoencoder> load_sd1_vae(std::shared_ptr<const ModelFile> file, ops::Compute mode);

}  // namespace weft::models
