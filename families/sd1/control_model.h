// families/sd1/control_model.h — ControlNet and T2I-adapter files (ComfyUI's CONTROL_NET): the
// layout recognised from the keys, the network loaded, other model families refused by name.
//
//   auto cn = load_control_model("models/controlnet/control_v11p_sd15_canny.pth");
//   auto diff = load_control_model("models/controlnet/diff_control_sd15_canny.safetensors", model.get());
//
// Layouts (sd-models.md §7): LDM ControlNets with keys under "control_model." or none; "diff"
// ControlNets (a `difference` key) whose UNet-shaped weights are deltas to add to the base model's
// (DiffControlNetLoader); full and light T2I-adapters (also in diffusers naming, "adapter.body.I.resnets.J").
#pragma once

#include "families/sd1/controlnet.h"
#include "families/sd1/t2i_adapter.h"
#include "families/sd1/checkpoint.h"
#include "tensor/model_file.h"

#include <memory>
#include <optional>
#include <string>

namespace weft::models {

struct ControlModel {
    std::string path;
    std::optional<nets::ControlNet> controlnet;  // exactly one of the two is set
    std::optional<nets::T2IAdapter> adapter;
    /// Residuals replaced by their spatial mean (files named *_shuffle, as ComfyUI decides).
    bool global_average_pooling = false;
    size_t bytes = 0;
};

/// What the file holds, from its keys: "controlnet" (SD1-style LDM ControlNet), "t2i-adapter", or
/// a description of something weft cannot run ("sdxl controlnet", "sd2 controlnet", "control-lora",
/// "union controlnet", "diffusers controlnet", "dit controlnet", "sdxl t2i-adapter", "unknown").
std::string detect_control_kind(const ModelFile& file);

/// Loads a ControlNet or T2I-adapter. With `base`, a diff ControlNet's UNet-shaped weights are
/// added to the base model's (DiffControlNetLoader); without it they are used as stored, as
/// ComfyUI does. Throws weft::Error naming the file for other families or malformed files.
std::shared_ptr<const ControlModel> load_control_model(const std::string& path, const DiffusionModel* base = nullptr,
                                                       ops::Compute mode = ops::Compute::F32);

}  // namespace weft::models
