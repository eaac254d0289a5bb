// sampling/k_samplers_cfg_pp.cpp — the CFG++ samplers (Chung et al. 2024): the step's
// direction comes from the unconditional prediction and its target from the guided one, so they
// read the guider's uncond prediction of each call (SamplerContext::guidance), which the pipeline
// computes even at cfg 1 for them. Without a guider they equal their plain twins. Eps/v models only
// (alpha = 1 in half-log-SNR terms).
#include "sampling/guidance.h"
#include "sampling/sampler_util.h"

#include <cmath>

namespace weft::models {

using namespace detail;

namespace {

/// The uncond prediction the guided denoiser recorded in its last call. A denoiser without a
/// guider (no tap) is its own unconditional prediction: the sampler then equals its plain twin.
Tensor last_uncond(const SamplerContext& ctx, const Tensor& den) {
    if (!ctx.guidance || !ctx.guidance->uncond_denoised.defined()) return den;
    return ctx.guidance->uncond_denoised;
}

/// alpha = sigma * exp(half_log_snr(sigma)) with half_log_snr = -log(sigma), in float as torch has it.
float alpha_of(float sigma) { return sigma * std::exp(-std::log(sigma)); }

Tensor euler_ancestral_cfg_pp_impl(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx, double eta, double s_noise) {
    const int n = step_count(s);
    NoiseSampler noise = default_noise(ctx, x);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const Tensor uncond = last_uncond(ctx, den);
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = den;
            continue;
        }
        const float a_s = alpha_of(s[i]), a_t = alpha_of(s[i + 1]);
        // d = (x - a_s * uncond) / sigma: the "to noise" direction from the unconditional prediction.
        const Tensor d = tm::lincomb({{1.0f / s[i], x}, {-a_s / s[i], uncond}});
        auto [down, up] = ancestral_step(double(s[i]) / a_s, double(s[i + 1]) / a_t, eta);
        down *= a_t;
        x = tm::axpby(a_t, den, float(down), d);
        if (eta > 0 && s_noise > 0) x = tm::axpby(1.0f, x, float(a_t * s_noise * up), noise(s[i], s[i + 1]));
    }
    return x;
}

}  // namespace

Tensor sample_euler_ancestral_cfg_pp(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return euler_ancestral_cfg_pp_impl(D, std::move(x), s, ctx, eta_or(ctx, 1.0), s_noise_or(ctx, 1.0));
}

Tensor sample_euler_cfg_pp(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return euler_ancestral_cfg_pp_impl(D, std::move(x), s, ctx, 0.0, 0.0);
}

Tensor sample_dpmpp_2s_ancestral_cfg_pp(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    NoiseSampler noise = default_noise(ctx, x);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const Tensor uncond = last_uncond(ctx, den);
        const auto [down, up] = ancestral_step(s[i], s[i + 1], eta);
        report(ctx, i, n, s[i], x, den);
        if (down == 0.0) {
            x = den;  // the Euler step to sigma_down = 0 lands on the guided prediction
        } else {
            // DPM-Solver++(2S) with the midpoint r = 1/2, each stage started from x moved by the
            // guidance (den - uncond). ComfyUI reads "uncond" from state its post-CFG hook updates on
            // every model call, so the second stage shifts by the midpoint call's uncond prediction;
            // the golden matrix confirms that reading (the first call's uncond misses by ~10 %).
            const double t = -std::log(double(s[i])), t_next = -std::log(down);
            const double h = t_next - t, mid = t + 0.5 * h;
            const Tensor x2 = tm::axpby(float(std::exp(-mid) / std::exp(-t)), tm::lincomb({{1.0f, x}, {1.0f, den}, {-1.0f, uncond}}),
                                        float(-std::expm1(-0.5 * h)), den);
            const Tensor den2 = D(x2, half_log_step_sigma(s[i], down));
            const Tensor uncond2 = last_uncond(ctx, den2);
            x = tm::axpby(float(std::exp(-t_next) / std::exp(-t)), tm::lincomb({{1.0f, x}, {1.0f, den}, {-1.0f, uncond2}}),
                          float(-std::expm1(-h)), den2);
        }
        if (s[i + 1] > 0.0f) x = tm::axpby(1.0f, x, float(s_noise * up), noise(s[i], s[i + 1]));
    }
    return x;
}

Tensor sample_dpmpp_2m_cfg_pp(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    Tensor old_uncond;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const Tensor uncond = last_uncond(ctx, den);
        report(ctx, i, n, s[i], x, den);
        const double t = -std::log(double(s[i]));
        // sigma_next = 0: t_next = inf, exp(-h) = 0 and the step lands on the guided prediction.
        const double e = s[i + 1] == 0.0f ? 0.0 : double(s[i + 1]) / s[i];  // exp(-h)
        if (!old_uncond.defined() || s[i + 1] == 0.0f) {
            x = tm::lincomb({{1.0f, den}, {float(-e), uncond}, {float(e), x}});
        } else {
            const double h = -std::log(double(s[i + 1])) - t;
            const double h_last = t + std::log(double(s[i - 1]));
            const double r = h_last / h;
            const double c = -std::expm1(-h) * (1.0 / (2.0 * r));
            x = tm::lincomb({{float(1.0 + c), den}, {float(-e), uncond}, {float(-c), old_uncond}, {float(e), x}});
        }
        old_uncond = uncond;
    }
    return x;
}

}  // namespace weft::models
