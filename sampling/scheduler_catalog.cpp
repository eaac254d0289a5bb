// sampling/scheduler_catalog.cpp — the scheduler rows.
#include "sampling/scheduler_catalog.h"

#include "sampling/catalog_lookup.h"

#include <array>

namespace weft::models {

namespace {

const std::array<SchedulerInfo, 9> kSchedulers{{
    {"simple", [](const ModelSamplingDiscrete& ms, int n) { return simple_scheduler(ms, n); }, true},
    {"sgm_uniform", [](const ModelSamplingDiscrete& ms, int n) { return normal_scheduler(ms, n, true); }, true},
    {"karras", [](const ModelSamplingDiscrete& ms, int n) { return karras_sigmas(n, ms.sigma_min(), ms.sigma_max()); }, false},
    {"exponential", [](const ModelSamplingDiscrete& ms, int n) { return exponential_sigmas(n, ms.sigma_min(), ms.sigma_max()); }, false},
    {"ddim_uniform", [](const ModelSamplingDiscrete& ms, int n) { return ddim_uniform_scheduler(ms, n); }, true},
    {"beta", [](const ModelSamplingDiscrete& ms, int n) { return beta_scheduler(ms, n); }, true},
    {"normal", [](const ModelSamplingDiscrete& ms, int n) { return normal_scheduler(ms, n, false); }, true},
    {"linear_quadratic", [](const ModelSamplingDiscrete& ms, int n) { return linear_quadratic_scheduler(ms, n); }, true},
    {"kl_optimal", [](const ModelSamplingDiscrete& ms, int n) { return kl_optimal_scheduler(n, ms.sigma_min(), ms.sigma_max()); }, false},
}};

}  // namespace

std::span<const SchedulerInfo> scheduler_catalog() { return kSchedulers; }

const std::vector<std::string>& scheduler_names() {
    static const std::vector<std::string> names = detail::row_names<SchedulerInfo>(kSchedulers);
    return names;
}

const SchedulerInfo* find_scheduler(std::string_view name) { return detail::find_row<SchedulerInfo>(kSchedulers, name); }

const SchedulerInfo& scheduler_named(std::string_view name) { return detail::named_row<SchedulerInfo>(kSchedulers, name, "scheduler"); }

}  // namespace weft::models
