// nodes/sampling_inputs.h — the inputs the sampler nodes share (seed, cfg, steps, the sampler and
// scheduler combos, whose lists are the sampling catalog's) and the boundary where a sampler or
// scheduler name becomes its catalog row.
#pragma once

#include "sampling/sampler_catalog.h"
#include "sampling/scheduler_catalog.h"

#include <weft/node.h>

#include <string_view>

namespace weft::nodes {

/// An INT seed input, 0 .. models::kSeedMax, with ComfyUI's control_after_generate widget.
Input seed_input(const char* name);
/// A FLOAT cfg input (default 8, 0 .. 100, step 0.1, rounded to 0.01).
Input cfg_input(const char* name);
/// The INT "steps" input (1 .. 10000).
Input steps_input(int64_t def = 20);
/// The sampler combo: the sampler catalog's names.
Input sampler_combo(const char* name);
/// The scheduler combo: the scheduler catalog's names.
Input scheduler_combo(const char* name);

/// The catalog row of the sampler named by combo input `name`; an unknown name throws ComfyUI's
/// value_not_in_list naming the node and the input.
const models::SamplerInfo& sampler_input(const NodeContext& ctx, std::string_view name);
/// The same for a scheduler.
const models::SchedulerInfo& scheduler_input(const NodeContext& ctx, std::string_view name);

}  // namespace weft::nodes
