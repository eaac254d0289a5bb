// sampling/scheduler_catalog.h — the one table of KSampler's schedulers: each row is a name (as
// ComfyUI's KSampler.SCHEDULERS spells it, in its order), the function that makes its sigma list
// and its properties.
//
//   const SchedulerInfo& k = scheduler_named("karras");   // resolved once, at the node boundary
//   Sigmas s = calculate_sigmas(ms, k, 20);                 // 21 values
//
// The nodes' scheduler combo lists are scheduler_names().
#pragma once

#include "sampling/schedulers.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::models {

/// One scheduler: its name, its sigma-list function and what it reads of the model.
struct SchedulerInfo {
    std::string_view name;
    Sigmas (*fn)(const ModelSamplingDiscrete& ms, int steps) = nullptr;
    /// ComfyUI's SchedulerHandler.use_ms: reads the model's sigma table; otherwise only its
    /// sigma_min / sigma_max.
    bool uses_model_sampling = true;
};

/// Every scheduler, in ComfyUI's KSampler.SCHEDULERS order.
std::span<const SchedulerInfo> scheduler_catalog();
/// The catalog's names, in its order: the nodes' scheduler combo list.
const std::vector<std::string>& scheduler_names();
/// The row named `name`, or null.
const SchedulerInfo* find_scheduler(std::string_view name);
/// The row named `name`; throws weft::Error (value_not_in_list) when there is none.
const SchedulerInfo& scheduler_named(std::string_view name);

/// comfy.samplers.calculate_sigmas: the scheduler's list for `steps` steps (empty for steps < 1).
inline Sigmas calculate_sigmas(const ModelSamplingDiscrete& ms, const SchedulerInfo& scheduler, int steps) {
    return steps < 1 ? Sigmas{} : scheduler.fn(ms, steps);
}

}  // namespace weft::models
