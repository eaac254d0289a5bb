#include "demo_txt2img.h"

#include <weft/demo_model.h>
#include <weft/error.h>

#include <unistd.h>


namespace weft::testing {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Per process (ctest runs test processes side by side, and the writer is not atomic), removed at exit.
struct DemoModels {
    fs::path root = fs::temp_directory_path() / ("weft-demo-models-" + std::to_string(::getpid()));
    DemoModels() { ensure_demo_model(root); }
    ~DemoModels() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

}  // namespace

const fs::path& demo_models_root() {
    static const DemoModels models;
    return models.root;
}

json demo_txt2img_prompt(const std::string& sampler, int width, int height, int steps) {
    json p = {
        {"4", {{"class_type", "CheckpointLoaderSimple"}, {"inputs", {{"ckpt_name", demo_checkpoint_name()}}}}},
        {"6", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", "a red house"}, {"clip", {"4", 1}}}}}},
        {"7", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", "blurry"}, {"clip", {"4", 1}}}}}},
        {"5", {{"class_type", "EmptyLatentImage"}, {"inputs", {{"width", width}, {"height", height}, {"batch_size", 1}}}}},
        {"8", {{"class_type", "VAEDecode"}, {"inputs", {{"samples", {"3", 0}}, {"vae", {"4", 2}}}}}},
        {"9", {{"class_type", "PreviewImage"}, {"inputs", {{"images", {"8", 0}}}}}},
    };
    const json model = {"4", 0}, pos = {"6", 0}, neg = {"7", 0}, latent = {"5", 0};
    if (sampler == "KSampler") {
        p["3"] = {{"class_type", "KSampler"},
                  {"inputs", {{"seed", 7}, {"steps", steps}, {"cfg", 4.0}, {"sampler_name", "euler"}, {"scheduler", "normal"}, {"denoise", 1.0},
                              {"model", model}, {"positive", pos}, {"negative", neg}, {"latent_image", latent}}}};
    } else if (sampler == "KSamplerAdvanced") {
        p["3"] = {{"class_type", "KSamplerAdvanced"},
                  {"inputs", {{"add_noise", "enable"}, {"noise_seed", 7}, {"steps", steps}, {"cfg", 4.0}, {"sampler_name", "euler"},
                              {"scheduler", "normal"}, {"start_at_step", 0}, {"end_at_step", 10000}, {"return_with_leftover_noise", "disable"},
                              {"model", model}, {"positive", pos}, {"negative", neg}, {"latent_image", latent}}}};
    } else if (sampler == "SamplerCustom" || sampler == "SamplerCustomAdvanced") {
        p["10"] = {{"class_type", "KSamplerSelect"}, {"inputs", {{"sampler_name", "euler"}}}};
        p["11"] = {{"class_type", "BasicScheduler"}, {"inputs", {{"model", model}, {"scheduler", "normal"}, {"steps", steps}, {"denoise", 1.0}}}};
        if (sampler == "SamplerCustom") {
            p["3"] = {{"class_type", "SamplerCustom"},
                      {"inputs", {{"model", model}, {"add_noise", true}, {"noise_seed", 7}, {"cfg", 4.0}, {"positive", pos}, {"negative", neg},
                                  {"sampler", {"10", 0}}, {"sigmas", {"11", 0}}, {"latent_image", latent}}}};
        } else {
            p["12"] = {{"class_type", "RandomNoise"}, {"inputs", {{"noise_seed", 7}}}};
            p["13"] = {{"class_type", "CFGGuider"}, {"inputs", {{"model", model}, {"positive", pos}, {"negative", neg}, {"cfg", 4.0}}}};
            p["3"] = {{"class_type", "SamplerCustomAdvanced"},
                      {"inputs", {{"noise", {"12", 0}}, {"guider", {"13", 0}}, {"sampler", {"10", 0}}, {"sigmas", {"11", 0}}, {"latent_image", latent}}}};
        }
    } else {
        throw Error(ErrorCode::InvalidInput, "demo_txt2img_prompt: unknown sampler node " + sampler);
    }
    return p;
}

}  // namespace weft::testing
