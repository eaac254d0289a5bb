// models/sampling/ksampler.cpp — noise, sigmas, scaling, CFG and the sampler, as common_ksampler.
#include "models/sampling/ksampler.h"

#include "models/sampling/cfg.h"
#include "models/sampling/sigma_utils.h"
#include "models/torch_rng.h"

#include <weft/error.h>

namespace weft::models {

Denoiser make_cfg_denoiser(const ModelSamplingDiscrete& ms, ModelFn model, double cfg) {
    const bool skip_uncond = cfg_skips_uncond(cfg);
    return [&ms, model = std::move(model), cfg, skip_uncond](const Tensor& x, float sigma) {
        const Tensor x_in = ms.calculate_input(sigma, x);
        const float t = ms.timestep(sigma);
        const Tensor cond = ms.calculate_denoised(sigma, model(x_in, t, CondKind::Positive), x);
        if (skip_uncond) return cond;
        const Tensor uncond = ms.calculate_denoised(sigma, model(x_in, t, CondKind::Negative), x);
        return cfg_combine(cond, uncond, cfg);
    };
}

Tensor ksample(const ModelSamplingDiscrete& ms, const ModelFn& model, const Tensor& latent_raw, const KSamplerParams& p,
               const StepCallback& callback) {
    if (!has_sampler(p.sampler)) throw Error("value_not_in_list", "sampler '" + p.sampler + "' is not available");
    const Tensor latent = tm::f32(latent_raw);
    Sigmas sigmas = ksampler_sigmas(ms, p.scheduler, p.sampler, p.steps, p.denoise);
    sigmas = slice_sigmas(std::move(sigmas), p.start_step, p.last_step, p.force_full_denoise);
    if (sigmas.size() < 2) return latent_raw;

    const Tensor noise = p.add_noise ? prepare_noise(latent.shape(), p.seed, p.batch_index.empty() ? nullptr : &p.batch_index)
                                     : Tensor::zeros(latent.shape(), DType::F32);
    // process_latent_in only for latents with content (empty latents stay exactly zero).
    bool any = false;
    for (int64_t i = 0; i < latent.numel() && !any; ++i) any = latent.data<float>()[i] != 0.0f;
    const Tensor lat_in = any ? tm::scaled(latent, p.latent_scale) : Tensor::zeros(latent.shape(), DType::F32);

    const Tensor x = ms.noise_scaling(sigmas[0], noise, lat_in, ms.is_max_denoise(sigmas[0]));
    SamplerContext ctx;
    ctx.seed = p.seed;
    ctx.callback = callback;
    ctx.model_sampling = &ms;
    const Tensor out = sample(p.sampler, make_cfg_denoiser(ms, model, p.cfg), x, sigmas, ctx);
    // process_latent_out: a division, as ComfyUI does it (not a multiplication by the inverse).
    Tensor result = Tensor::zeros(out.shape(), DType::F32);
    for (int64_t i = 0; i < out.numel(); ++i) result.data<float>()[i] = out.data<float>()[i] / p.latent_scale;
    return result;
}

}  // namespace weft::models
