// models/sampling/sampler_util.h — small pieces shared by the sampler implementations (internal).
#pragma once

#include "models/sampling/brownian_tree.h"
#include "models/sampling/sampler.h"
#include "models/sampling/tensor_math.h"

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

/// (sigma_down, sigma_up) of an ancestral step with strength eta.
inline std::pair<double, double> ancestral_step(double from, double to, double eta) {
    if (eta == 0.0) return {to, 0.0};
    const double up = std::min(to, eta * std::sqrt(to * to * (from * from - to * to) / (from * from)));
    const double down = std::sqrt(to * to - up * up);
    return {down, up};
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
