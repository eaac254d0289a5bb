// sampling/rescale_cfg.h — RescaleCFG (Lin et al. 2023, "Common Diffusion Noise Schedules
// and Sample Steps are Flawed" §3.4) as ComfyUI's node applies it: CFG on the v-prediction form
// of cond and uncond, the result rescaled per batch item to the standard deviation of the
// conditional v, blended with plain CFG by `multiplier`, turned back into a denoised prediction.
#pragma once

#include "sampling/guidance.h"

namespace weft::models {

/// The guided denoised prediction for one CFG step (a CfgFunction with `multiplier` bound).
/// Standard deviations are torch.std's (Bessel-corrected) over all but the batch dimension.
Tensor rescale_cfg(const CfgArgs& args, double multiplier);

}  // namespace weft::models
