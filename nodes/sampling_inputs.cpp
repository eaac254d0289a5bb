// nodes/sampling_inputs.cpp — the shared sampler-node inputs and the name-to-row boundary.
#include "nodes/sampling_inputs.h"

#include "sampling/ksampler.h"

#include <weft/error.h>

namespace weft::nodes {

namespace {

/// Resolves combo input `name` in a catalog through `find`, or throws as ComfyUI's validation does.
template <class Row, class Find>
const Row& resolve(const NodeContext& ctx, std::string_view name, size_t list_size, Find find) {
    const std::string& value = ctx.get_string(name);
    if (const Row* row = find(value)) return *row;
    throw Error(ErrorCode::ValueNotInList, "Value not in list",
                std::string(name) + ": '" + value + "' not in (list of length " + std::to_string(list_size) + ")")
        .at_input(std::string(name));
}

}  // namespace

Input seed_input(const char* name) {
    return Input::integer(name, 0).min(0).max(Value(uint64_t{models::kSeedMax})).with_control_after_generate();
}
Input cfg_input(const char* name) { return Input::floating(name, 8.0).min(0.0).max(100.0).step(0.1).round(0.01); }
Input steps_input(int64_t def) { return Input::integer("steps", def).min(1).max(10000); }
Input sampler_combo(const char* name) { return Input::combo(name, models::sampler_names()); }
Input scheduler_combo(const char* name) { return Input::combo(name, models::scheduler_names()); }

const models::SamplerInfo& sampler_input(const NodeContext& ctx, std::string_view name) {
    return resolve<models::SamplerInfo>(ctx, name, models::sampler_catalog().size(), models::find_sampler);
}

const models::SchedulerInfo& scheduler_input(const NodeContext& ctx, std::string_view name) {
    return resolve<models::SchedulerInfo>(ctx, name, models::scheduler_catalog().size(), models::find_scheduler);
}

}  // namespace weft::nodes
