// tests/support/demo_txt2img.h — txt2img prompts over weft's own demo checkpoint (written once per
// test process into a temp folder removed at exit, no download, no shared folder): the sampling workflows the
// preview tests run through a Session and through the server.
//
//   auto prompt = weft::testing::demo_txt2img_prompt("KSampler", 64, 48, 3);
//   session options: folders.models = {weft::testing::demo_models_root()}
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace weft::testing {

/// A folder holding checkpoints/weft_demo_sd1.safetensors (and its companions), made on first use.
const std::filesystem::path& demo_models_root();

/// API-format prompt: demo checkpoint -> two CLIPTextEncode -> EmptyLatentImage(width, height) ->
/// the sampler node "3" -> VAEDecode "8" -> PreviewImage "9". `sampler` is "KSampler",
/// "KSamplerAdvanced", "SamplerCustom" or "SamplerCustomAdvanced" (euler, normal schedule, so the
/// last step's denoised prediction is the result).
nlohmann::json demo_txt2img_prompt(const std::string& sampler, int width, int height, int steps);

}  // namespace weft::testing
