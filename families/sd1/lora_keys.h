// families/sd1/lora_keys.h — the names a LoRA file may give a model layer, mapped to the layer's key
// (sd-models.md §6.2, ComfyUI's model_lora_keys_unet / model_lora_keys_clip).
//
//   auto map = unet_lora_names(keys);   // "lora_unet_down_blocks_1_attentions_0_proj_in" -> "input_blocks.3.1.proj_in"
//
// Layer keys are the stems a LayerVisitor sees (no ".weight", no checkpoint prefix).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft::lora {

/// The diffusers name of an SD UNet layer key ("input_blocks.3.1.proj_in" ->
/// "down_blocks.1.attentions.0.proj_in"), given the number of res blocks per level; nullopt for a
/// key outside the known layout.
std::optional<std::string> unet_key_to_diffusers(const std::string& key, int64_t res_blocks);

/// Res blocks per level, read from the keys (the first downsampler's input block index - 1).
int64_t unet_res_blocks(const std::vector<std::string>& keys);

/// Every name a LoRA may use for the UNet's layers -> the layer key: kohya on LDM and diffusers
/// names (lora_unet_*), LyCORIS (lycoris_*), diffusers/PEFT (unet.*, bare, processor forms) and
/// ComfyUI's generic diffusion_model.*.
std::map<std::string, std::string> unet_lora_names(const std::vector<std::string>& keys);

/// The same for the CLIP text encoder: lora_te_*, lora_te1_*, text_encoder.*, and the checkpoint
/// spellings of the keys.
std::map<std::string, std::string> clip_lora_names(const std::vector<std::string>& keys);

}  // namespace weft::lora
