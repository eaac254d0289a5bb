// sampling/ksampler.cpp — noise, sigmas, scaling, guidance and the sampler, as
// common_ksampler / sample_custom do it.
#include "sampling/ksampler.h"

#include "sampling/sigma_utils.h"
#include "sampling/tensor_math.h"
#include "blocks/torch_rng.h"
#include "tensor/ops/ops.h"

#include <algorithm>
#include <cmath>

#include <weft/error.h>

namespace weft::models {

Tensor NoiseSource::generate(const Shape& shape, const std::vector<int64_t>& batch_index) const {
    if (!random) return Tensor::zeros(shape, DType::F32);
    return prepare_noise(shape, seed, batch_index.empty() ? nullptr : &batch_index);
}

Denoiser make_cfg_denoiser(const ModelSamplingDiscrete& ms, ModelFn model, double cfg) {
    GuiderSpec spec;
    spec.kind = GuiderKind::Cfg;
    spec.cfg = cfg;
    return make_guided_denoiser(ms, std::move(model), spec);
}

SamplingOutput run_sampling(const ModelSamplingDiscrete& ms, const Guidance& guidance, const Tensor& latent_raw,
                            const SamplingJob& job, const Tensor& noise, const Sigmas& sigmas) {
    const SamplerInfo& sampler = *job.sampler.info;
    if (sigmas.size() < 2) return {latent_raw, latent_raw};
    const Tensor latent = tm::f32(latent_raw);
    if (noise.numel() != latent.numel())
        throw Error(ErrorCode::InvalidInput, "noise " + noise.describe() + " does not match the latent " + latent.describe());

    const Tensor lat_in = latent_to_model_space(latent, job.latent_scale);
    const Tensor x = ms.noise_scaling(sigmas[0], tm::f32(noise), lat_in, ms.is_max_denoise(sigmas[0]));

    GuidanceTap tap;
    tap.want_uncond = sampler.needs_uncond;
    Denoiser denoiser = guidance.denoise ? make_guided_denoiser(guidance.denoise, guidance.spec, guidance.options, &tap)
                                         : make_guided_denoiser(ms, guidance.model, guidance.spec, guidance.options, &tap);
    if (job.noise_mask.defined())
        denoiser = inpaint_denoiser(std::move(denoiser), ms, prepare_noise_mask(job.noise_mask, latent.shape()), lat_in, tm::f32(noise));

    Tensor last_denoised;
    SamplerContext ctx;
    ctx.seed = job.seed;
    ctx.model_sampling = &ms;
    ctx.eta = job.sampler.eta;
    ctx.s_noise = job.sampler.s_noise;
    ctx.guidance = &tap;
    ctx.callback = [&](const StepInfo& s) {
        if (s.denoised) last_denoised = *s.denoised;
        if (job.callback) job.callback(s);
    };
    const Tensor out = ms.inverse_noise_scaling(sigmas.back(), sample(sampler, denoiser, x, sigmas, ctx));

    // process_latent_out: a division, as ComfyUI does it (not a multiplication by the inverse).
    auto latent_out = [&](const Tensor& t) {
        const Tensor src = tm::f32(t);
        Tensor r = Tensor::zeros(src.shape(), DType::F32);
        for (int64_t i = 0; i < src.numel(); ++i) r.data<float>()[i] = src.data<float>()[i] / job.latent_scale;
        return r;
    };
    SamplingOutput result;
    result.samples = latent_out(out);
    result.denoised = last_denoised.defined() ? latent_out(last_denoised) : result.samples;
    return result;
}

Tensor latent_to_model_space(const Tensor& latent_raw, float scale) {
    // process_latent_in only for latents with content (empty latents stay exactly zero).
    const Tensor latent = tm::f32(latent_raw);
    bool any = false;
    for (int64_t i = 0; i < latent.numel() && !any; ++i) any = latent.data<float>()[i] != 0.0f;
    return any ? tm::scaled(latent, scale) : Tensor::zeros(latent.shape(), DType::F32);
}

Tensor prepare_noise_mask(const Tensor& mask_raw, const Shape& shape) {
    if (shape.size() != 4) throw Error(ErrorCode::InvalidInput, "a noise mask needs a [B, C, H, W] latent; got " + shape_string(shape));
    Tensor m = tm::f32(mask_raw);
    if (m.dim() < 2) throw Error(ErrorCode::InvalidInputType, "a noise mask needs at least 2 dimensions; got " + m.describe());
    m = m.reshape({-1, 1, m.size(-2), m.size(-1)});
    if (m.size(2) != shape[2] || m.size(3) != shape[3]) m = ops::upsample_bilinear(m, shape[2], shape[3]);
    // Repeated over the channels, then cut or tiled to the batch (repeat_to_batch_size).
    const int64_t n = m.size(0), b = shape[0], c = shape[1], hw = shape[2] * shape[3];
    Tensor out = Tensor::zeros(shape);
    for (int64_t i = 0; i < b; ++i) {
        const int64_t src = i % n;
        for (int64_t ch = 0; ch < c; ++ch) std::copy_n(m.data<float>() + src * hw, hw, out.data<float>() + (i * c + ch) * hw);
    }
    return out;
}

Denoiser inpaint_denoiser(Denoiser inner, const ModelSamplingDiscrete& ms, Tensor mask, Tensor latent, Tensor noise) {
    return [inner = std::move(inner), &ms, mask = tm::f32(mask), latent = tm::f32(latent), noise = tm::f32(noise)](const Tensor& x_raw, float sigma) {
        const Tensor x = tm::f32(x_raw);
        if (mask.numel() != x.numel()) throw Error(ErrorCode::InvalidInput, "noise mask " + mask.describe() + " does not fit " + x.describe());
        // Outside the mask the model sees the input latent noised to this sigma (scale_latent_inpaint).
        const Tensor kept = ms.noise_scaling(sigma, noise, latent, false);
        Tensor xm = Tensor::zeros(x.shape());
        const float* m = mask.data<float>();
        for (int64_t i = 0; i < x.numel(); ++i) {
            const float lm = 1.0f - m[i];
            xm.data<float>()[i] = x.data<float>()[i] * m[i] + kept.data<float>()[i] * lm;
        }
        const Tensor out = tm::f32(inner(xm, sigma));
        Tensor r = Tensor::zeros(out.shape());
        for (int64_t i = 0; i < out.numel(); ++i) r.data<float>()[i] = out.data<float>()[i] * m[i] + latent.data<float>()[i] * (1.0f - m[i]);
        return r;
    };
}

namespace {

Tensor ksample_impl(const ModelSamplingDiscrete& ms, const ModelFn& model, const DenoiseFn& denoise, const Tensor& latent_raw,
                    const KSamplerParams& p, const SamplingJob& job) {
    Sigmas sigmas = ksampler_sigmas(ms, *p.scheduler, *job.sampler.info, p.steps, p.denoise);
    sigmas = slice_sigmas(std::move(sigmas), p.start_step, p.last_step, p.force_full_denoise);
    if (sigmas.size() < 2) return latent_raw;

    // KSampler passes its seed to the sampler even with add_noise disabled.
    const Tensor noise = NoiseSource{p.add_noise, job.seed}.generate(latent_raw.shape(), job.batch_index);
    GuiderSpec spec;
    spec.kind = GuiderKind::Cfg;
    spec.cfg = p.cfg;
    return run_sampling(ms, Guidance{model, spec, p.guidance, denoise}, latent_raw, job, noise, sigmas).samples;
}

}  // namespace

Tensor ksample(const ModelSamplingDiscrete& ms, const ModelFn& model, const Tensor& latent_raw, const KSamplerParams& p,
               const SamplingJob& job) {
    return ksample_impl(ms, model, {}, latent_raw, p, job);
}

Tensor ksample_denoised(const ModelSamplingDiscrete& ms, const DenoiseFn& model, const Tensor& latent_raw, const KSamplerParams& p,
                        const SamplingJob& job) {
    return ksample_impl(ms, {}, model, latent_raw, p, job);
}

}  // namespace weft::models
