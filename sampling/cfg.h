// sampling/cfg.h — classifier-free guidance as ComfyUI combines it (sd-models.md §4.2):
// on the denoised (x0) predictions, uncond + (cond - uncond) * cfg; at cfg == 1 (math.isclose)
// the unconditional pass is skipped entirely.
#pragma once

#include "sampling/tensor_math.h"

#include <cmath>

namespace weft::models {

/// Python math.isclose(cfg, 1.0) with its default rel_tol 1e-9.
inline bool cfg_skips_uncond(double cfg) { return std::fabs(cfg - 1.0) <= 1e-9 * std::max(std::fabs(cfg), 1.0); }

/// uncond + (cond - uncond) * cfg.
inline Tensor cfg_combine(const Tensor& cond, const Tensor& uncond, double cfg) {
    const float c = static_cast<float>(cfg);
    return tm::lincomb({{1.0f - c, uncond}, {c, cond}});
}

}  // namespace weft::models
