// sampling/guidance.h — how the network's predictions under several conditionings become
// the one denoised prediction a sampler sees (ComfyUI's guiders, sd-models.md §4.2):
//   - Basic: the positive prediction alone;
//   - Cfg: uncond + (cond - uncond) * cfg, the uncond pass skipped at cfg == 1;
//   - DualCfg: two positives and a negative (DualCFGGuider, "regular" or "nested").
// A model may replace the CFG combination (RescaleCFG: `cfg_function`) and add post-CFG steps;
// samplers that need the unconditional prediction (the *_cfg_pp family) read it from a
// GuidanceTap the denoiser fills on every call.
//
//   GuiderSpec g;  g.kind = GuiderKind::Cfg;  g.cfg = 7.0;
//   Denoiser D = make_guided_denoiser(ms, model_fn, g, {}, &tap);
//
// Thread safety: the denoiser is called from one thread; it writes the tap.
#pragma once

#include "sampling/model_sampling.h"
#include "sampling/sampler.h"

#include <weft/tensor.h>

#include <functional>
#include <vector>

namespace weft::models {

/// Which conditioning a network call is for (DualCFGGuider's cond2 is `Middle`).
enum class CondKind : uint8_t { Positive, Negative, Middle };

/// The network: its raw output (eps or v) for input x_in = c_in * x at the (integer-valued)
/// timestep, under the positive, negative or middle conditioning.
using ModelFn = std::function<Tensor(const Tensor& x_in, float timestep, CondKind cond)>;

/// The conditioned denoised (x0) prediction for x (model space) at sigma: ComfyUI's
/// calc_cond_batch (models/sampling/conditioning_eval.h). Guidance over a DenoiseFn sees what
/// ComfyUI's guiders see; a ModelFn becomes one through denoise_with.
using DenoiseFn = std::function<Tensor(const Tensor& x, float sigma, CondKind cond)>;

/// A raw-output network as a DenoiseFn: c_in scaling, the quantized timestep, eps/v to x0.
DenoiseFn denoise_with(const ModelSamplingDiscrete& ms, ModelFn model);

/// What a CFG replacement sees; every tensor is in model space, the predictions are denoised (x0).
struct CfgArgs {
    const Tensor& x;                 // the sampler's x
    float sigma;
    const Tensor& cond_denoised;
    const Tensor& uncond_denoised;   // zeros when the uncond pass was skipped
    double cond_scale;
};
/// Returns the guided denoised prediction (ComfyUI's x - sampler_cfg_function(args)).
using CfgFunction = std::function<Tensor(const CfgArgs&)>;
/// ComfyUI's sampler_post_cfg_function: gets the combined prediction, returns a new one.
using PostCfgFunction = std::function<Tensor(const Tensor& denoised, const CfgArgs&)>;

/// A model's sampling patches (ComfyUI's model_options entries that guidance reads).
struct GuidanceOptions {
    CfgFunction cfg_function;              // empty: plain CFG
    std::vector<PostCfgFunction> post_cfg;
    bool empty() const { return !cfg_function && post_cfg.empty(); }
};

/// Where a guided denoiser leaves the unconditional prediction of its last call.
struct GuidanceTap {
    bool want_uncond = false;   // set by samplers that read it: disables the cfg == 1 shortcut
    Tensor uncond_denoised;     // zeros when the guider has no negative
};

enum class GuiderKind : uint8_t { Basic, Cfg, DualCfg };

struct GuiderSpec {
    GuiderKind kind = GuiderKind::Cfg;
    double cfg = 8.0;    // Cfg: cfg; DualCfg: cfg_conds (cond1 against cond2)
    double cfg2 = 8.0;   // DualCfg: cfg_cond2_negative (cond2 against negative)
    bool nested = false; // DualCfg style "nested"
};

/// The guided denoiser D(x, sigma) over `model`. `options` and `tap` may be empty / null.
Denoiser make_guided_denoiser(const ModelSamplingDiscrete& ms, ModelFn model, const GuiderSpec& spec,
                              GuidanceOptions options = {}, GuidanceTap* tap = nullptr);
Denoiser make_guided_denoiser(DenoiseFn model, const GuiderSpec& spec, GuidanceOptions options = {}, GuidanceTap* tap = nullptr);

/// ComfyUI's cfg_function: the model's cfg function or uncond + (cond - uncond) * scale, then the
/// post-CFG functions; records `uncond` in the tap.
Tensor guided_combine(const CfgArgs& args, const GuidanceOptions& options, GuidanceTap* tap);

}  // namespace weft::models
