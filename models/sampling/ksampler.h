// models/sampling/ksampler.h — the KSampler / KSamplerAdvanced pipeline around a network:
// noise from the seed, the sigma schedule (denoise, start/end steps), start-latent scaling, the
// CFG'd denoiser, the sampler, and the latent scaling in and out (sd-models.md §4.1-4.3, §5.1).
//
//   KSamplerParams p;
//   p.seed = 42; p.steps = 20; p.cfg = 8.0; p.sampler = "euler"; p.scheduler = "normal";
//   Tensor out = ksample(ms, unet_eps, latent, p, callback);   // LATENT in, LATENT out
//
// Latents are in raw VAE scale on both sides (ComfyUI multiplies by 0.18215 inside, and only when
// the input latent has a non-zero element). Not covered yet: noise masks (inpainting), area /
// timestep-range conditioning, ControlNet.
#pragma once

#include "models/sampling/model_sampling.h"
#include "models/sampling/sampler.h"

#include <weft/tensor.h>

#include <functional>
#include <string>
#include <vector>

namespace weft::models {

enum class CondKind : uint8_t { Positive, Negative };

/// The network: its raw output (eps or v) for input x_in = c_in * x at the (integer-valued)
/// timestep, under the positive or negative conditioning.
using ModelFn = std::function<Tensor(const Tensor& x_in, float timestep, CondKind cond)>;

struct KSamplerParams {
    uint64_t seed = 0;
    int steps = 20;
    double cfg = 8.0;
    std::string sampler = "euler";
    std::string scheduler = "normal";
    double denoise = 1.0;
    // KSamplerAdvanced
    bool add_noise = true;
    int start_step = 0;
    int last_step = 10000;
    bool force_full_denoise = false;  // KSampler: false; KSamplerAdvanced: leftover noise "disable"
    std::vector<int64_t> batch_index;  // from LatentFromBatch / RepeatLatentBatch; empty: none
    float latent_scale = 0.18215f;     // SD1 latent format
};

/// The CFG'd denoiser D(x, sigma) over `model` (one call at cfg == 1, else two).
Denoiser make_cfg_denoiser(const ModelSamplingDiscrete& ms, ModelFn model, double cfg);

/// Runs the whole KSampler on `latent` (raw VAE scale, [B, C, H, W]); returns the new latent.
/// Returns the input unchanged when the schedule leaves nothing to do (denoise 0, start past end).
Tensor ksample(const ModelSamplingDiscrete& ms, const ModelFn& model, const Tensor& latent, const KSamplerParams& p,
               const StepCallback& callback = {});

}  // namespace weft::models
