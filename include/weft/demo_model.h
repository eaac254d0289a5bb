// include/weft/demo_model.h — a small random-weight SD1-architecture checkpoint weft writes itself, so the
// txt2img pipeline runs end to end with nothing to download (its pictures are noise-like; real
// pictures need a real SD1.5 checkpoint).
//
//   weft::ensure_demo_model("models");   // models/checkpoints/weft_demo_sd1.safetensors
//                                       // models/tokenizers/clip/{vocab.json,merges.txt}
#pragma once

#include <filesystem>

namespace weft {

/// The checkpoint's file name under <models_root>/checkpoints/.
const char* demo_checkpoint_name();
/// The companions written beside it, matching its UNet and CLIP: a LoRA under loras/, a
/// ControlNet under controlnet/ and a 2x ESRGAN upscaler under upscale_models/.
const char* demo_lora_name();
const char* demo_controlnet_name();
const char* demo_upscale_model_name();

/// Writes the demo checkpoint, its small vocabulary and its companions under `models_root`
/// unless present; returns true when it wrote something. Throws weft::Error naming the path on IO failure.
bool ensure_demo_model(const std::filesystem::path& models_root);

}  // namespace weft
