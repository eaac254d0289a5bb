// sampling/conditioning.h — one CONDITIONING entry as typed data: the text embedding and the
// extras ComfyUI keeps in its dict (area, strength, mask, timestep range, control, inpainting
// concat inputs). The nodes parse a CONDITIONING value into this at their boundary
// (nodes/typed_conditioning.h); sampling reads only these fields.
#pragma once

#include "sampling/control_hook.h"

#include <weft/tensor.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

namespace weft::models {

/// ConditioningSetArea's [h, w, y, x]: latent cells, or fractions of the latent ("percentage").
struct CondArea {
    std::array<double, 4> hwyx{};
    bool percentage = false;
};

/// One conditioning entry.
struct Cond {
    Tensor context;                     // [B, tokens, dim] text embedding
    std::optional<CondArea> area;       // "area"
    double strength = 1.0;              // "strength"
    Tensor mask;                        // "mask" [B?, H, W]; undefined: none
    double mask_strength = 1.0;         // "mask_strength"
    bool set_area_to_bounds = false;    // "set_area_to_bounds": area = the mask's bounding box
    std::optional<double> start_percent, end_percent;  // the entry is skipped outside that range
    std::shared_ptr<const ControlHook> control;          // "control"
    bool control_apply_to_uncond = false;                // "control_apply_to_uncond"
    Tensor concat_latent_image;         // "concat_latent_image" (raw VAE scale); undefined: none
    Tensor concat_mask;                 // "concat_mask"; undefined: none
};
using CondList = std::vector<Cond>;

}  // namespace weft::models
