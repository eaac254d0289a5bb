// sampling/k_samplers_step.cpp — samplers that re-noise after predicting: DDPM (ancestral
// step in variance-preserving space) and LCM (jump to x0, then add noise for the next sigma).
#include "sampling/sampler_util.h"

namespace weft::models {

using namespace detail;

Tensor sample_ddpm(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    NoiseSampler noise = default_noise(ctx, x);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        const double sg = s[i], sp = s[i + 1];
        const double acp = 1.0 / (sg * sg + 1), acp_prev = 1.0 / (sp * sp + 1);
        const double alpha = acp / acp_prev;
        // x_vp = x / sqrt(1 + sigma^2), eps = (x - den) / sigma
        // mu = sqrt(1/alpha) * (x_vp - (1 - alpha) * eps / sqrt(1 - acp))
        const double k = std::sqrt(1.0 / alpha);
        const double cx_vp = 1.0 / std::sqrt(1.0 + sg * sg);
        const double ce = (1 - alpha) / std::sqrt(1 - acp) / sg;
        Tensor mu = tm::lincomb({{float(k * (cx_vp - ce)), x}, {float(k * ce), den}});
        if (sp > 0) {
            const double amp = std::sqrt((1 - alpha) * (1 - acp_prev) / (1 - acp));
            mu = tm::axpby(1.0f, mu, float(amp), noise(s[i], s[i + 1]));
        }
        x = sp != 0 ? tm::scaled(mu, float(std::sqrt(1.0 + sp * sp))) : mu;
    }
    return x;
}

Tensor sample_lcm(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    NoiseSampler noise = default_noise(ctx, x);
    const ModelSamplingDiscrete fallback = ModelSamplingDiscrete::sd1();
    const ModelSamplingDiscrete& ms = ctx.model_sampling ? *ctx.model_sampling : fallback;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        x = den;
        if (s[i + 1] > 0.0f) x = ms.noise_scaling(s[i + 1], noise(s[i], s[i + 1]), x, false);
    }
    return x;
}

}  // namespace weft::models
