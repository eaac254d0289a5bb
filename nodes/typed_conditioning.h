// nodes/typed_conditioning.h — the node boundary of conditioning: a CONDITIONING value (the
// public ConditioningItem list, extras in a Dict as ComfyUI keeps them) parsed into the typed
// entries sampling works on (sampling/conditioning.h).
//
//   models::CondList pos = conditioning_input(ctx, "positive");   // errors name node and input
#pragma once

#include "sampling/conditioning.h"

#include <weft/node.h>
#include <weft/value.h>

#include <string_view>

namespace weft::nodes {

/// Parses every entry's extras ("area", "strength", "mask", "mask_strength", "set_area_to_bounds",
/// "start_percent", "end_percent", "control", "control_apply_to_uncond", "concat_latent_image",
/// "concat_mask"); a value of the wrong kind throws weft::Error naming the extra. Numbers and
/// flags of another kind fall back to their defaults, as ComfyUI's lookups with defaults do.
models::CondList typed_conditioning(const Conditioning& c);

/// The CONDITIONING input `name`, parsed; errors name the node and the input.
models::CondList conditioning_input(const NodeContext& ctx, std::string_view name);

}  // namespace weft::nodes
