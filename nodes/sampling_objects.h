// nodes/sampling_objects.h — the values of the custom-sampling nodes: SAMPLER (a sampler name and
// options), NOISE (a seed or none), GUIDER (a model, its conditionings and the guidance rule) as
// weft::Value objects, and SIGMAS as a 1-D F32 tensor (ComfyUI passes a torch tensor too).
#pragma once

#include "sampling/conditioning.h"
#include "sampling/ksampler.h"
#include "families/sd1/checkpoint.h"

#include <weft/node.h>
#include <weft/value.h>

#include <memory>

namespace weft::nodes {

/// GUIDER: what SamplerCustomAdvanced denoises with.
struct GuiderObject {
    std::shared_ptr<const models::DiffusionModel> model;
    models::GuiderSpec spec;
    models::CondList positive;  // Basic: its only conditioning; DualCfg: cond1
    models::CondList negative;  // Cfg, DualCfg
    models::CondList middle;    // DualCfg: cond2
};

Value sampler_value(models::SamplerSpec s);
Value noise_value(models::NoiseSource n);
Value guider_value(GuiderObject g);
Value sigmas_value(const models::Sigmas& s);

/// The SIGMAS input `name` as floats (any 1-D tensor; throws naming node and input otherwise).
models::Sigmas sigmas_input(const NodeContext& ctx, std::string_view name);

/// The CONDITIONING input `input` parsed into typed entries (nodes/typed_conditioning.h) and
/// checked against the model (non-empty, context width); throws naming node and input.
models::CondList model_conditioning(const NodeContext& ctx, std::string_view input, const models::DiffusionModel& model);
/// Checks the latent fits the model (4-D, the UNet's channels); throws naming node/input.
void check_latent(const NodeContext& ctx, std::string_view input, const Latent& latent, const models::DiffusionModel& model);

/// Runs the shared sampling pipeline for a custom-sampling node and returns (output,
/// denoised_output) LATENTs; reports one progress step per sampler step.
std::pair<Latent, Latent> sample_custom(NodeContext& ctx, const GuiderObject& guider, const models::NoiseSource& noise,
                                        const models::SamplerSpec& sampler, const models::Sigmas& sigmas, const Latent& latent);

}  // namespace weft::nodes
