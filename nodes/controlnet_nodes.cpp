// ControlNets and T2I-adapters: ControlNetLoader, DiffControlNetLoader, ControlNetApply (OLD),
// ControlNetApplyAdvanced. Applying puts a models::AppliedControl hook under "control" in each
// conditioning entry's extras, chained to the one already there (sd-models.md §7.2).
#include "families/sd1/applied_control.h"
#include "nodes/compute_mode.h"
#include "nodes/file_hash.h"
#include "nodes/model_folders.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"

#include <weft/node.h>
#include <weft/registry.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

namespace weft::nodes {

namespace {

namespace fs = std::filesystem;

// ComfyUI's "controlnet" folder list also covers models/t2i_adapter.
const std::vector<std::string> kControlFolders = {"controlnet", "t2i_adapter"};

Value control_value(std::shared_ptr<const models::ControlModel> m) {
    const size_t bytes = m->bytes;
    return Value::object<models::ControlModel>(std::move(m), "CONTROL_NET", bytes);
}

/// IS_CHANGED of the loaders: the picked file's content; "always changed" when it cannot be read
/// (the node then runs and reports why).
std::optional<Value> control_file_fingerprint(NodeContext& ctx) {
    try {
        return Value(sha256_file_hex_remembered(find_model_file(ctx.folders(), kControlFolders, ctx.get_string("control_net_name"))));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::shared_ptr<const models::ControlModel> load_for(NodeContext& ctx, const models::DiffusionModel* base) {
    try {
        const fs::path path = find_model_file(ctx.folders(), kControlFolders, ctx.get_string("control_net_name"));
        return models::load_control_model(path.string(), base, compute_mode(ctx));
    } catch (Error& e) {
        e.at_input("control_net_name");
        throw;
    }
}

std::shared_ptr<const models::ControlHook> hook_of(const ConditioningItem& item) {
    if (!item.extras) return nullptr;
    auto it = item.extras->find("control");
    if (it == item.extras->end() || !it->second.is_object()) return nullptr;
    return it->second.as_object<models::ControlHook>();
}

ConditioningItem with_hook(const ConditioningItem& item, std::shared_ptr<const models::ControlHook> hook, bool apply_to_uncond) {
    auto extras = std::make_shared<Dict>(item.extras ? *item.extras : Dict{});
    (*extras)["control"] = Value::object<models::ControlHook>(std::move(hook), models::ControlHook::kTypeName);
    (*extras)["control_apply_to_uncond"] = Value(apply_to_uncond);
    return ConditioningItem{item.embedding, std::move(extras)};
}

Tensor hint_of(NodeContext& ctx) {
    const Tensor& image = ctx.get_tensor("image");
    if (image.dim() != 4) throw input_error(ctx, "image", "an IMAGE is [B, H, W, C]; got " + image.describe());
    return nhwc_to_nchw(image);
}

/// Hooks made in one call, by the hook they chain to: entries that had the same ControlNets before
/// share the new one (so positive and negative can be evaluated in one batch).
using HookCache = std::map<const models::ControlHook*, std::shared_ptr<const models::ControlHook>>;

std::shared_ptr<const models::ControlHook> make_hook(NodeContext& ctx, std::shared_ptr<const models::ControlModel> model, const Tensor& hint,
                                                     const models::ControlSettings& s, std::shared_ptr<const models::ControlHook> previous) {
    try {
        return std::make_shared<const models::AppliedControl>(std::move(model), hint, s, std::move(previous));
    } catch (Error& e) {
        e.at_input("image");
        throw;
    }
}

void apply_advanced(NodeContext& ctx) {
    const Value& positive = ctx.input("positive");
    const Value& negative = ctx.input("negative");
    const models::ControlSettings s{ctx.get_float("strength"), ctx.get_float("start_percent"), ctx.get_float("end_percent")};
    if (s.strength == 0) {  // ComfyUI returns the inputs untouched
        ctx.set_output(0, positive);
        ctx.set_output(1, negative);
        return;
    }
    auto model = ctx.get_object<models::ControlModel>("control_net");
    const Tensor hint = hint_of(ctx);
    HookCache made;
    for (size_t slot = 0; slot < 2; ++slot) {
        Conditioning out;
        for (const ConditioningItem& item : (slot == 0 ? positive : negative).as_conditioning()) {
            auto prev = hook_of(item);
            auto& hook = made[prev.get()];
            if (!hook) hook = make_hook(ctx, model, hint, s, prev);
            out.push_back(with_hook(item, hook, false));
        }
        ctx.set_output(slot, Value(std::move(out)));
    }
}

void apply_old(NodeContext& ctx) {
    const Value& conditioning = ctx.input("conditioning");
    const models::ControlSettings s{ctx.get_float("strength"), 0.0, 1.0};
    if (s.strength == 0) {
        ctx.set_output(0, conditioning);
        return;
    }
    auto model = ctx.get_object<models::ControlModel>("control_net");
    const Tensor hint = hint_of(ctx);
    Conditioning out;
    for (const ConditioningItem& item : conditioning.as_conditioning())
        out.push_back(with_hook(item, make_hook(ctx, model, hint, s, hook_of(item)), true));
    ctx.set_output(0, Value(std::move(out)));
}

Input strength_input() { return Input::floating("strength", 1.0).min(0.0).max(10.0).step(0.01); }

}  // namespace

void register_controlnet_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("ControlNetLoader")};
        d.schema.display("Load ControlNet Model").category("loaders").exclusive();
        d.schema.required(model_picker("control_net_name", kControlFolders)).output("CONTROL_NET");
        d.fingerprint = control_file_fingerprint;
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, control_value(load_for(ctx, nullptr))); };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("DiffControlNetLoader")};
        d.schema.display("Load ControlNet Model (diff)").category("loaders").exclusive();
        d.schema.required(Input::type_of("model", "MODEL")).required(model_picker("control_net_name", kControlFolders)).output("CONTROL_NET");
        d.fingerprint = control_file_fingerprint;
        d.execute = [](NodeContext& ctx) {
            auto model = ctx.get_object<models::DiffusionModel>("model");
            ctx.set_output(0, control_value(load_for(ctx, model.get())));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("ControlNetApply")};
        d.schema.display("Apply ControlNet (OLD)").category("conditioning/controlnet").deprecated();
        d.schema.required(Input::type_of("conditioning", "CONDITIONING"))
            .required(Input::type_of("control_net", "CONTROL_NET"))
            .required(Input::type_of("image", "IMAGE"))
            .required(strength_input())
            .output("CONDITIONING");
        d.execute = apply_old;
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("ControlNetApplyAdvanced")};
        d.schema.display("Apply ControlNet").category("conditioning/controlnet");
        // `vae` serves ControlNets whose hint is a latent (SD3, Flux); SD1 ControlNets take pixels.
        d.schema.required(Input::type_of("positive", "CONDITIONING"))
            .required(Input::type_of("negative", "CONDITIONING"))
            .required(Input::type_of("control_net", "CONTROL_NET"))
            .required(Input::type_of("image", "IMAGE"))
            .required(strength_input())
            .required(Input::floating("start_percent", 0.0).min(0.0).max(1.0).step(0.001))
            .required(Input::floating("end_percent", 1.0).min(0.0).max(1.0).step(0.001))
            .optional(Input::type_of("vae", "VAE"))
            .output("CONDITIONING", "positive")
            .output("CONDITIONING", "negative");
        d.execute = apply_advanced;
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
