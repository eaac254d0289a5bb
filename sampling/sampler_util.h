// sampling/sampler_util.h — small pieces shared by the sampler implementations (internal).
#pragma once

#include "sampling/brownian_tree.h"
#include "sampling/sampler.h"
#include "sampling/tensor_math.h"

#include <weft/error.h>

#include <cmath>
#include <utility>

namespace weft::models::detail {

/// Number of steps of a sigma list (0 for fewer than 2 sigmas).
inline int step_count(const Sigmas& s) { return s.size() < 2 ? 0 : static_cast<int>(s.size()) - 1; }

inline void report(const SamplerContext& ctx, int i, int n, float sigma, const Tensor& x, const Tensor& den) {
    if (!ctx.callback) return;
    StepInfo info;
    info.i = i;
    info.total = n;
    info.sigma = sigma;
    info.x = &x;
    info.denoised = &den;
    ctx.callback(info);
}

/// The Karras ODE derivative (x - denoised) / sigma.
inline Tensor to_d(const Tensor& x, double sigma, const Tensor& den) {
    const float r = static_cast<float>(1.0 / sigma);
    return tm::lincomb({{r, x}, {-r, den}});
}

// The sigma arithmetic below is float32, op for op as PyTorch runs it on 0-dim float tensors:
// model_sampling.timestep() picks the nearest table entry, so a midpoint sigma that lands half-way
// between two entries (the normal and sgm_uniform schedules produce such sigmas) picks the same
// entry as ComfyUI only when computed with the same roundings.

/// k-diffusion's get_ancestral_step: (sigma_down, sigma_up) of an ancestral step with strength eta;
/// eta 0 gives (to, 0).
inline std::pair<double, double> ancestral_step(double from_d, double to_d, double eta) {
    if (eta == 0.0) return {to_d, 0.0};
    const float from = static_cast<float>(from_d), to = static_cast<float>(to_d);
    const float up = std::min(to, static_cast<float>(eta) * std::sqrt(to * to * (from * from - to * to) / (from * from)));
    const float down = std::sqrt(to * to - up * up);
    return {down, up};
}

/// exp(lerp(log a, log b, 1/2)) as torch computes sigma.log().lerp(other.log(), 0.5).exp()
/// (torch's lerp takes the `end - (end - start) * (1 - w)` form for w >= 0.5).
inline float log_midpoint_sigma(double a, double b) {
    const float la = std::log(static_cast<float>(a)), lb = std::log(static_cast<float>(b));
    return std::exp(lb - (lb - la) * 0.5f);
}

/// sigma_fn(t + h / 2) of DPM-Solver++(2S) with t = -log a, h = -log b - t, in float32.
inline float half_log_step_sigma(double a, double b) {
    const float t = -std::log(static_cast<float>(a)), t_next = -std::log(static_cast<float>(b));
    const float h = t_next - t;
    return std::exp(-(t + 0.5f * h));
}

inline double eta_or(const SamplerContext& ctx, double def) { return ctx.eta.value_or(def); }
inline double s_noise_or(const SamplerContext& ctx, double def) { return ctx.s_noise.value_or(def); }

/// The context's noise sampler, or ComfyUI's default (torch generator seeded seed + 1).
inline NoiseSampler default_noise(const SamplerContext& ctx, const Tensor& x) {
    return ctx.noise ? ctx.noise : default_noise_sampler(x.shape(), ctx.seed);
}
/// The context's noise sampler, or the Brownian tree over the sigmas seeded with seed.
inline NoiseSampler brownian_noise(const SamplerContext& ctx, const Tensor& x, const Sigmas& sigmas) {
    return ctx.noise ? ctx.noise : brownian_tree_noise_sampler(x.shape(), sigmas, ctx.seed);
}

}  // namespace weft::models::detail
