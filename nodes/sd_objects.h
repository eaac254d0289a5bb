// nodes/sd_objects.h — MODEL, CLIP and VAE values of the SD nodes, shared between node families.
#pragma once

#include "families/sd1/checkpoint.h"

#include <weft/folders.h>
#include <weft/value.h>

#include <memory>

namespace weft::nodes {

Value model_value(std::shared_ptr<const models::DiffusionModel> m);
Value clip_value(std::shared_ptr<const models::TextEncoder> c);
Value vae_value(std::shared_ptr<const models::Autoencoder> v);

/// CLIP's tokenizer from the models folder, loaded once per folder.
std::shared_ptr<const models::ClipTokenizer> clip_tokenizer(const Folders& folders);

}  // namespace weft::nodes
