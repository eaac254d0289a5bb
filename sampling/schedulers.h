// sampling/schedulers.h — the sigma schedules of ComfyUI's KSampler and custom-sampling
// nodes, as pure functions returning float32 sigma lists (descending, normally ending in 0).
//
//   auto ms = ModelSamplingDiscrete::sd1();
//   Sigmas s = karras_sigmas(20, ms.sigma_min(), ms.sigma_max());   // 21 values
// (KSampler's named schedulers are the rows of scheduler_catalog.h.)
//
// Facts: sd-models.md §4.3-4.4; float32 arithmetic where torch computes in float32.
#pragma once

#include "sampling/model_sampling.h"

#include <vector>

namespace weft::models {

using Sigmas = std::vector<float>;

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

}  // namespace weft::models
