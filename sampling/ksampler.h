// sampling/ksampler.h — the sampling pipeline shared by KSampler, KSamplerAdvanced,
// SamplerCustom and SamplerCustomAdvanced: noise (a NOISE source), the sigma schedule, start-latent
// scaling, the guided denoiser, the sampler, and the latent scaling in and out (sd-models.md
// §4.1-4.3, §5.1; ComfyUI's CFGGuider.sample + KSAMPLER.sample).
//
//   SamplingJob job;                          // the seed, the sampler and the latent's extras
//   job.seed = 42; job.sampler.info = &sampler_named("euler");
//   KSamplerParams p;                         // KSampler's schedule and cfg
//   p.steps = 20; p.cfg = 8.0; p.scheduler = &scheduler_named("normal");
//   Tensor out = ksample(ms, unet_eps, latent, p, job);   // LATENT in, LATENT out
//
//   // the custom-sampling form: noise and sigmas made by the caller
//   Tensor noise = NoiseSource{true, 42}.generate(latent.shape(), {});
//   Sigmas sigmas = basic_scheduler(ms, scheduler_named("karras"), 20, 1.0);
//   SamplingOutput o = run_sampling(ms, {model_fn, guider_spec, {}}, latent, job, noise, sigmas);
//
// Latents are in raw VAE scale on both sides (ComfyUI multiplies by 0.18215 inside, and only when
// the input latent has a non-zero element).
#pragma once

#include "sampling/guidance.h"
#include "sampling/model_sampling.h"
#include "sampling/sampler.h"
#include "sampling/sampler_catalog.h"
#include "sampling/scheduler_catalog.h"

#include <weft/tensor.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft::models {

/// The largest seed the seed inputs accept (ComfyUI's 0xffffffffffffffff).
inline constexpr uint64_t kSeedMax = 18446744073709551615ull;

/// ComfyUI's NOISE objects: RandomNoise(seed) (prepare_noise) or DisableNoise (zeros).
struct NoiseSource {
    bool random = true;
    uint64_t seed = 0;   // also the seed samplers derive their step noise from (0 when disabled)

    /// Noise for a latent of `shape`; `batch_index` as carried by the LATENT (may be empty).
    Tensor generate(const Shape& shape, const std::vector<int64_t>& batch_index) const;
};

/// ComfyUI's SAMPLER object: a catalog row (resolved from its name at the node) and its option overrides.
struct SamplerSpec {
    const SamplerInfo* info = &sampler_catalog().front();  // euler
    std::optional<double> eta;
    std::optional<double> s_noise;
};

/// How the denoiser is made: the network over its conditionings, the guider, the model's patches.
struct Guidance {
    ModelFn model;
    GuiderSpec spec;
    GuidanceOptions options;
    DenoiseFn denoise;  // when set, used instead of `model`: the conditioned x0 prediction (conditioning_eval.h)
};

/// One sampling run, as the sampler nodes hand it to the pipeline: the seed, the sampler and the
/// LATENT's extras pass through this one struct (SamplerContext is the samplers' view of it).
struct SamplingJob {
    SamplerSpec sampler;
    uint64_t seed = 0;                 // the noise's seed and the samplers' (step noise, Brownian tree)
    StepCallback callback;             // optional; may throw to cancel
    Tensor noise_mask;                 // the LATENT's noise_mask (inpainting); undefined: none
    std::vector<int64_t> batch_index;  // the LATENT's batch_index (LatentFromBatch, ...); empty: none
    float latent_scale = 0.18215f;     // SD1 latent format
};

struct SamplingOutput {
    Tensor samples;   // raw VAE scale
    Tensor denoised;  // the last step's denoised prediction, raw scale (SamplerCustom's
                      // denoised_output); equals `samples` when no step ran
};

/// Samples `latent` (raw scale, [B, C, H, W]) from `noise` (same shape) over `sigmas` (used as
/// given, no discard rule). With fewer than two sigmas nothing runs and the latent comes back
/// unchanged.
SamplingOutput run_sampling(const ModelSamplingDiscrete& ms, const Guidance& guidance, const Tensor& latent,
                            const SamplingJob& job, const Tensor& noise, const Sigmas& sigmas);

/// KSampler's and KSamplerAdvanced's own inputs: the schedule and the guidance (the seed and the
/// sampler are in SamplingJob).
struct KSamplerParams {
    int steps = 20;
    double cfg = 8.0;
    const SchedulerInfo* scheduler = &scheduler_named("normal");
    double denoise = 1.0;
    // KSamplerAdvanced
    bool add_noise = true;
    int start_step = 0;
    int last_step = 10000;
    bool force_full_denoise = false;  // KSampler: false; KSamplerAdvanced: leftover noise "disable"
    GuidanceOptions guidance;         // the model's patches (RescaleCFG, ...)
};

/// The CFG'd denoiser D(x, sigma) over `model` (one call at cfg == 1, else two).
Denoiser make_cfg_denoiser(const ModelSamplingDiscrete& ms, ModelFn model, double cfg);

/// ComfyUI's KSamplerX0Inpaint around `inner`: x is replaced by latent + noise * sigma where
/// `mask` is 0 before the call, and the result by `latent` there after it. `mask` is the prepared
/// noise mask (prepare_noise_mask), `latent` the start latent in model space.
Denoiser inpaint_denoiser(Denoiser inner, const ModelSamplingDiscrete& ms, Tensor mask, Tensor latent, Tensor noise);

/// comfy.utils.reshape_mask: a noise mask ([H, W], [B, H, W] or [B, 1, H, W]) resized bilinearly
/// to `shape`'s spatial size, repeated over its channels and cut or tiled to its batch.
Tensor prepare_noise_mask(const Tensor& mask, const Shape& shape);

/// The start latent in model space: latent * scale when it has a non-zero element, else zeros.
Tensor latent_to_model_space(const Tensor& latent, float scale);

/// Runs the whole KSampler on `latent` (raw VAE scale, [B, C, H, W]); returns the new latent.
/// Returns the input unchanged when the schedule leaves nothing to do (denoise 0, start past end).
Tensor ksample(const ModelSamplingDiscrete& ms, const ModelFn& model, const Tensor& latent, const KSamplerParams& p,
               const SamplingJob& job);
/// The same over the conditioned x0 prediction (conditioning_eval.h), as the KSampler nodes run it.
Tensor ksample_denoised(const ModelSamplingDiscrete& ms, const DenoiseFn& model, const Tensor& latent, const KSamplerParams& p,
                        const SamplingJob& job);

}  // namespace weft::models
