// sampling/sampler_catalog.h — the one table of samplers: each row is a name (as ComfyUI's
// KSampler.SAMPLERS spells it, in its order), the function that runs it and its properties.
//
//   const SamplerInfo& s = sampler_named("dpm_2");   // resolved once, at the node boundary
//   if (s.discards_penultimate_sigma) ...             // every later use reads the row
//   Tensor out = sample(s, denoiser, x, sigmas, ctx);
//
// The nodes' sampler combo lists are sampler_names(), so a name the catalog lacks cannot reach
// sampling: validation rejects it (value_not_in_list), and so does sampler_named().
#pragma once

#include "sampling/sampler.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::models {

/// Where a sampler's step noise comes from (only drawn when its eta / s_noise make it stochastic).
enum class StepNoise : uint8_t {
    None,          // deterministic (ODE) sampler
    Generator,     // torch CPU generator seeded with seed + 1 (ComfyUI's default_noise_sampler)
    BrownianTree,  // torchsde's Brownian tree over the sigmas, seeded with seed
};

/// One sampler: its name, its function and the properties the pipeline asks about.
struct SamplerInfo {
    std::string_view name;
    SamplerFn fn = nullptr;
    /// Reads the unconditional prediction (the *_cfg_pp family) from SamplerContext::guidance;
    /// the guided denoiser then runs the uncond pass even at cfg == 1.
    bool needs_uncond = false;
    /// Asks KSampler for one more step and drops the second-to-last sigma (DISCARD_PENULTIMATE_SIGMA_SAMPLERS).
    bool discards_penultimate_sigma = false;
    StepNoise noise = StepNoise::None;
};

/// Every sampler, in ComfyUI's KSampler.SAMPLERS order.
std::span<const SamplerInfo> sampler_catalog();
/// The catalog's names, in its order: the nodes' sampler combo list.
const std::vector<std::string>& sampler_names();
/// The row named `name`, or null.
const SamplerInfo* find_sampler(std::string_view name);
/// The row named `name`; throws weft::Error (value_not_in_list) when there is none.
const SamplerInfo& sampler_named(std::string_view name);

/// Runs `sampler` (x already scaled to sigmas[0], see ModelSamplingDiscrete::noise_scaling).
inline Tensor sample(const SamplerInfo& sampler, const Denoiser& denoiser, Tensor x, const Sigmas& sigmas,
                     const SamplerContext& ctx = {}) {
    return sampler.fn(denoiser, std::move(x), sigmas, ctx);
}

}  // namespace weft::models
