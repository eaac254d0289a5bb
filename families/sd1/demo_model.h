// families/sd1/demo_model.h — a small SD1-architecture checkpoint with deterministic random weights,
// and a small CLIP-style vocabulary, that weft writes itself so the txt2img pipeline runs end to
// end with nothing to download. Its pictures are noise-like: real pictures need a real SD1.5
// checkpoint.
//
// Layout written under `models_root` (ComfyUI's models folder layout):
//   checkpoints/weft_demo_sd1.safetensors   UNet (64 channels, 2 levels), CLIP text (128 wide,
//                                           2 layers), VAE (factor 8) in SD1 key names, F16
//   tokenizers/clip/vocab.json, merges.txt  byte-level BPE: 512 byte symbols, a few merges
//   loras/weft_demo_lora.safetensors         kohya LoRA (rank 4) on the UNet and CLIP attention
//   controlnet/weft_demo_controlnet.safetensors  ControlNet for the demo UNet (RGB hint)
//   upscale_models/weft_demo_esrgan_x2.safetensors  2x RRDBNet (16 features, 2 blocks)
#pragma once

#include <filesystem>

namespace weft::models {

inline constexpr const char* kDemoCheckpointName = "weft_demo_sd1.safetensors";
inline constexpr const char* kDemoLoraName = "weft_demo_lora.safetensors";
inline constexpr const char* kDemoControlNetName = "weft_demo_controlnet.safetensors";
inline constexpr const char* kDemoUpscaleModelName = "weft_demo_esrgan_x2.safetensors";

/// Writes the demo checkpoint, vocabulary, LoRA, ControlNet and upscaler unless they exist; returns
/// true when it wrote any of them.
bool ensure_demo_model(const std::filesystem::path& models_root);

}  // namespace weft::models
