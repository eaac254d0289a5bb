// sampling/schedulers.h — the sigma schedules of ComfyUI's KSampler and custom-sampling
// nodes, as pure functions returning float32 sigma lists (descending, normally ending in 0).
//
//   auto ms = ModelSamplingDiscrete::sd1();
//   Sigmas s = calculate_sigmas(ms, "karras", 20);                // 21 values
//   Sigmas k = ksampler_sigmas(ms, "normal", "dpm_2", 20, 0.5);  // denoise + discard rules
//
// Facts: sd-models.md §4.3-4.4; float32 arithmetic where torch computes in float32.
#pragma once

#include "sampling/model_sampling.h"

#include <string>
#include <string_view>
#include <vector>

namespace weft::models {

using Sigmas = std::vector<float>;

/// KSampler's scheduler names, in ComfyUI's order.
const std::vector<std::string>& scheduler_names();

/// torch.linspace(start, end, n) in float32.
std::vector<float> linspace_f32(float start, float end, int n);

Sigmas simple_scheduler(const ModelSamplingDiscrete& ms, int steps);
Sigmas ddim_uniform_scheduler(const ModelSamplingDiscrete& ms, int steps);
/// "normal" (sgm = false) and "sgm_uniform" (sgm = true).
Sigmas normal_scheduler(const ModelSamplingDiscrete& ms, int steps, bool sgm = false);
Sigmas beta_scheduler(const ModelSamplingDiscrete& ms, int steps, double alpha = 0.6, double beta = 0.6);
Sigmas linear_quadratic_scheduler(const ModelSamplingDiscrete& ms, int steps, double threshold_noise = 0.025,
                                  int linear_steps = -1);
Sigmas kl_optimal_scheduler(int steps, float sigma_min, float sigma_max);
Sigmas karras_sigmas(int steps, double sigma_min, double sigma_max, double rho = 7.0);
Sigmas exponential_sigmas(int steps, double sigma_min, double sigma_max);
Sigmas polyexponential_sigmas(int steps, double sigma_min, double sigma_max, double rho = 1.0);
Sigmas vp_sigmas(int steps, double beta_d = 19.9, double beta_min = 0.1, double eps_s = 1e-3);

/// comfy.samplers.calculate_sigmas: dispatch by scheduler name; throws weft::Error
/// (value_not_in_list) for an unknown name.
Sigmas calculate_sigmas(const ModelSamplingDiscrete& ms, std::string_view scheduler, int steps);

}  // namespace weft::models
