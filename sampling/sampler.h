// sampling/sampler.h — the sampler interface: a denoiser, a sigma list, a starting x.
//
// A sampler integrates from sigmas[0] down to sigmas.back() calling the denoiser D(x, sigma),
// which returns the (CFG-combined) x0 prediction in model space. The samplers follow ComfyUI's
// k-diffusion implementations (sd-models.md §4.5) including their default eta / s_noise and their
// noise sources:
//   - ancestral / stochastic samplers: a torch CPU generator seeded with seed + 1, one
//     randn(x.shape) per draw (ComfyUI's default_noise_sampler on the CPU);
//   - dpmpp_sde / dpmpp_2m_sde(_heun) / dpmpp_3m_sde (and _gpu twins): the torchsde Brownian tree
//     seeded with seed.
//
//   SamplerContext ctx;
//   ctx.seed = 42;
//   ctx.callback = [&](const StepInfo& s) { progress(s.i + 1, s.total); };   // may throw to cancel
//   Tensor x0 = sample(sampler_named("euler"), denoiser, x, sigmas, ctx);   // sampler_catalog.h
//
// Thread safety: samplers are pure functions of their arguments; the denoiser is called from the
// calling thread only.
#pragma once

#include "sampling/model_sampling.h"
#include "sampling/schedulers.h"

#include <weft/tensor.h>

#include <functional>
#include <optional>
#include <vector>

namespace weft::models {

struct GuidanceTap;  // guidance.h: the unconditional prediction of the last denoiser call

/// D(x, sigma): the denoised prediction for x at noise level sigma (same shape as x).
using Denoiser = std::function<Tensor(const Tensor& x, float sigma)>;

/// What a sampler reports once per step (before the step's update), like ComfyUI's callback.
struct StepInfo {
    int i = 0;                // step index, 0-based
    int total = 0;            // number of steps (len(sigmas) - 1)
    float sigma = 0.0f;       // sigmas[i]
    const Tensor* x = nullptr;         // the x the step started from
    const Tensor* denoised = nullptr;  // D(x, sigma) of that x (for previews)
};
/// Called once per step; may throw (e.g. weft::Cancelled) to stop sampling.
using StepCallback = std::function<void(const StepInfo&)>;

/// A standard-normal tensor of x's shape for the step from sigma to sigma_next.
using NoiseSampler = std::function<Tensor(float sigma, float sigma_next)>;

struct SamplerContext {
    uint64_t seed = 0;                  // KSampler's seed (noise samplers derive theirs from it)
    StepCallback callback;              // optional
    NoiseSampler noise;                 // optional: replaces the sampler's default noise source
    const ModelSamplingDiscrete* model_sampling = nullptr;  // needed by lcm (defaults to SD1 eps)
    std::optional<double> eta;          // overrides the sampler's default eta (1.0)
    std::optional<double> s_noise;      // overrides the default noise scale (1.0)
    GuidanceTap* guidance = nullptr;    // the *_cfg_pp samplers read the uncond prediction here
};

using SamplerFn = Tensor (*)(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);

// The samplers themselves (ComfyUI names without the `sample_` prefix).
Tensor sample_euler(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_euler_ancestral(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_heun(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_heunpp2(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpm_2(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpm_2_ancestral(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_lms(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
/// dpm_fast / dpm_adaptive integrate from sigmas[0] to the last positive sigma (no final denoise).
Tensor sample_dpm_fast(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpm_adaptive(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_2s_ancestral(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_sde(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_2m(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_2m_sde(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_2m_sde_heun(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_3m_sde(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_ddpm(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_lcm(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_ipndm(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_ipndm_v(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_deis(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_res_multistep(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_res_multistep_ancestral(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_gradient_estimation(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_er_sde(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_seeds_2(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_seeds_3(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_sa_solver(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_sa_solver_pece(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
// CFG++ variants: they read the unconditional prediction from SamplerContext::guidance.
Tensor sample_euler_cfg_pp(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_euler_ancestral_cfg_pp(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_2s_ancestral_cfg_pp(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_dpmpp_2m_cfg_pp(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_res_multistep_cfg_pp(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_res_multistep_ancestral_cfg_pp(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_gradient_estimation_cfg_pp(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_exp_heun_2_x0(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_exp_heun_2_x0_sde(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_uni_pc(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);
Tensor sample_uni_pc_bh2(const Denoiser&, Tensor x, const Sigmas&, const SamplerContext&);

}  // namespace weft::models
