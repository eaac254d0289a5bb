// sampling/sigma_utils.h — sigma-list operations behind KSampler(Advanced) and the
// custom-sampling nodes (BasicScheduler, SplitSigmas, FlipSigmas, AlignYourSteps, SDTurbo, ...).
//
//   Sigmas s = ksampler_sigmas(ms, scheduler_named("karras"), sampler_named("euler"), 20, 0.6);   // denoise 0.6
//   auto [high, low] = split_sigmas(s, 10);
//
// Every function is pure: sigma lists in, sigma lists out (sd-models.md §4.3).
#pragma once

#include "sampling/sampler_catalog.h"
#include "sampling/scheduler_catalog.h"

#include <string_view>
#include <utility>

namespace weft::models {

/// KSampler.set_steps: the full schedule for denoise >= 0.9999, none for denoise <= 0, else the
/// last steps+1 values of the schedule for int(steps / denoise) steps; the sampler's
/// discards_penultimate_sigma rule applied.
Sigmas ksampler_sigmas(const ModelSamplingDiscrete& ms, const SchedulerInfo& scheduler, const SamplerInfo& sampler,
                       int steps, double denoise = 1.0);

/// KSamplerAdvanced's slicing: keeps sigmas[start_step : last_step + 1]; with
/// force_full_denoise the last kept sigma becomes 0 when the list was cut at last_step. Returns
/// an empty list when start_step leaves nothing to do (the node then returns its input).
Sigmas slice_sigmas(Sigmas sigmas, int start_step, int last_step, bool force_full_denoise);

/// BasicScheduler: like ksampler_sigmas without the discard rule.
Sigmas basic_scheduler(const ModelSamplingDiscrete& ms, const SchedulerInfo& scheduler, int steps, double denoise);

/// SDTurboScheduler: timesteps 999, 899, ... from 10 - int(10 * denoise), `steps` of them, plus 0.
Sigmas sd_turbo_sigmas(const ModelSamplingDiscrete& ms, int steps, double denoise);

/// AlignYourStepsScheduler for "SD1", "SDXL" or "SVD" (log-linear interpolated to steps+1).
Sigmas align_your_steps_sigmas(std::string_view model_type, int steps, double denoise);

/// SplitSigmas: (sigmas[:step+1], sigmas[step:]).
std::pair<Sigmas, Sigmas> split_sigmas(const Sigmas& sigmas, int step);
/// SplitSigmasDenoise: the last round((n-1)*denoise) steps go to the low part.
std::pair<Sigmas, Sigmas> split_sigmas_denoise(const Sigmas& sigmas, double denoise);
/// FlipSigmas: reversed; a leading 0 becomes 0.0001.
Sigmas flip_sigmas(const Sigmas& sigmas);

}  // namespace weft::models
