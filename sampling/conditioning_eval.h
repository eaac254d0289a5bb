// sampling/conditioning_eval.h — one model evaluation under a CONDITIONING list, as
// ComfyUI's process_conds / calc_cond_batch do it (sd-models.md §4.2).
//
//   auto lists = prepare_conditioning(model, {&positive, &negative}, inputs);   // CondLists, once per run
//   Tensor x0 = predict_conditioned(model, x, sigma, lists[0]);                 // every step
//
// Each active entry runs the UNet on its area of x (with its own context, control residuals and,
// for inpainting UNets, the extra "concat" input channels); its denoised prediction is weighted
// by strength x mask (areas without a mask are feathered over up to 8 cells at inner borders) and
// the result is sum(weight * x0) / (sum(weight) + 1e-37): cells no entry covers come out 0.
//
// The entries are typed (sampling/conditioning.h): the nodes parse the extras of the
// CONDITIONING values at their boundary, so nothing here reads a Dict.
#pragma once

#include "sampling/conditioning.h"
#include "sampling/control_hook.h"
#include "sampling/diffusion_network.h"
#include "sampling/guidance.h"
#include "sampling/model_sampling.h"

#include <weft/tensor.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

namespace weft::models {

struct ConditionedModel {
    const DiffusionNetwork& unet;
    const ModelSamplingDiscrete& sampling;
};

/// What the sampler knows about the latent being sampled; the inpainting UNet's concat channels
/// default to these when the conditioning carries none.
struct SamplingInputs {
    Shape shape;          // the noise / latent shape [B, C, h, w]
    Tensor latent_image;  // the start latent in model space (see latent_to_model_space); may be undefined
    Tensor denoise_mask;  // the prepared noise mask (prepare_noise_mask); undefined when none
};

/// One conditioning entry resolved for a sampling run.
struct CondEntry {
    Tensor context;                              // [Bc, T, D]
    std::optional<std::array<int64_t, 4>> area;  // h, w, y, x in latent cells
    double strength = 1.0;
    Tensor mask;                                 // [Bm, h, w] at the latent size; undefined: none
    double mask_strength = 1.0;
    std::optional<float> sigma_start, sigma_end;  // skipped when sigma > start or sigma < end
    std::shared_ptr<const ControlHook> control;
    bool control_apply_to_uncond = false;        // ControlNetApply (the deprecated node) sets it
    Tensor concat;                               // [Bc, C', h, w] extra UNet input channels
};
using PreparedConditioning = std::vector<CondEntry>;

/// Resolves the conditioning lists of one sampling run (the first is the positive one): areas in
/// percent and masks to the latent size, mask bounds, start/end percent to sigmas, inpainting
/// concat channels, and for each area entry of one list an entry with the same area in every
/// other list (ComfyUI's create_cond_with_same_area_if_none), and positive controls flagged
/// control_apply_to_uncond copied to the others. A null list gives an empty result.
std::vector<PreparedConditioning> prepare_conditioning(const ConditionedModel& model, const std::vector<const CondList*>& lists,
                                                       const SamplingInputs& inputs);

/// ComfyUI's calc_cond_batch for one prepared list: the denoised (x0) prediction for x (model
/// space, [B, C, h, w]) at `sigma`.
Tensor predict_conditioned(const ConditionedModel& model, const Tensor& x, float sigma, const PreparedConditioning& cond);

/// The x0 prediction guidance calls (guidance.h) over prepared lists indexed by CondKind
/// (Positive 0, Negative 1, Middle 2); a missing list predicts zeros, as ComfyUI's None conds.
/// `model`'s network and sampling must outlive the result.
DenoiseFn conditioned_denoiser(const ConditionedModel& model, std::vector<PreparedConditioning> lists);

/// The whole preparation for a sampler node: lists indexed by CondKind (null where absent), the
/// LATENT's samples (raw VAE scale) and its noise_mask (undefined when none).
DenoiseFn conditioned_denoiser(const ConditionedModel& model, const std::vector<const CondList*>& lists, const Tensor& latent,
                               const Tensor& noise_mask, float latent_scale = 0.18215f);

/// The weight map of one entry over its area ([B, C, ah, aw]): strength x mask, feathered at inner
/// area borders when there is no mask. Exposed for tests.
Tensor entry_weight(const CondEntry& e, const Shape& x_shape);

/// torch.nn.functional.interpolate(mask[:, None], (h, w), mode="bilinear") for [B, H, W] masks
/// (2-D masks get a batch of 1).
Tensor resize_mask(const Tensor& mask, int64_t h, int64_t w);

}  // namespace weft::models
