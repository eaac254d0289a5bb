// Loaders of diffusion models: CheckpointLoaderSimple, CheckpointLoader, UNETLoader, CLIPLoader,
// VAELoader. Each detects the file's model family (families/family.h) and calls its loader; a file
// no registered family matches is refused naming the file and what its keys show. Outputs are
// shared immutable objects (MODEL, CLIP, VAE); the cache keeps them like any
// other result, so a second workflow on the same checkpoint loads nothing.
#include "core/resource_scope.h"
#include "families/family.h"
#include "families/sd1/checkpoint.h"
#include "nodes/compute_mode.h"
#include "nodes/model_folders.h"
#include "nodes/node_families.h"
#include "nodes/sd_objects.h"

#include <weft/node.h>
#include <weft/registry.h>

#include <map>
#include <mutex>

namespace weft::nodes {

namespace {
/// Tokenizers loaded by one Session, by folder (a Session resource: clear_cache() drops them).
struct LoadedTokenizers {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const models::ClipTokenizer>> by_dir;
};
}  // namespace

std::shared_ptr<const models::ClipTokenizer> clip_tokenizer(const Folders& folders) {
    const std::string dir = find_clip_tokenizer(folders).string();
    std::shared_ptr<LoadedTokenizers> loaded = current_resources().get<LoadedTokenizers>();
    std::lock_guard lock(loaded->mutex);
    auto& slot = loaded->by_dir[dir];
    if (!slot) slot = std::make_shared<const models::ClipTokenizer>(models::ClipTokenizer::load(dir));
    return slot;
}

Value model_value(std::shared_ptr<const models::DiffusionModel> m) { size_t b = m->bytes; return Value::object<models::DiffusionModel>(std::move(m), "MODEL", b); }
Value clip_value(std::shared_ptr<const models::TextEncoder> c) { size_t b = c->bytes; return Value::object<models::TextEncoder>(std::move(c), "CLIP", b); }
Value vae_value(std::shared_ptr<const models::Autoencoder> v) { size_t b = v->bytes; return Value::object<models::Autoencoder>(std::move(v), "VAE", b); }

namespace {

/// Runs a loader, turning its errors into ones that name the node and the input.
template <class F>
auto load_for(NodeContext& ctx, const char* input, F&& load) {
    try {
        return load();
    } catch (Error& e) {
        e.at_input(input);
        throw;
    }
}

void load_checkpoint(NodeContext& ctx) {
    const auto path = find_model_file(ctx.folders(), {"checkpoints"}, ctx.get_string("ckpt_name"));
    auto ck = load_for(ctx, "ckpt_name", [&] { return models::load_checkpoint(path.string(), clip_tokenizer(ctx.folders()), compute_mode(ctx)); });
    ctx.set_output(0, model_value(ck.model));
    ctx.set_output(1, clip_value(ck.clip));
    ctx.set_output(2, vae_value(ck.vae));
}

NodeSchema loader_schema(const char* name, const char* display, const char* category) {
    NodeSchema s(name);
    s.display(display).category(category).exclusive();
    return s;
}

}  // namespace

void register_sd_loader_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{loader_schema("CheckpointLoaderSimple", "Load Checkpoint", "loaders")};
        d.schema.required(model_picker("ckpt_name", {"checkpoints"})).output("MODEL").output("CLIP").output("VAE");
        d.execute = load_checkpoint;
        r.add(std::move(d));
    }
    {
        NodeDefinition d{loader_schema("CheckpointLoader", "Load Checkpoint With Config (DEPRECATED)", "advanced/loaders")};
        d.schema.deprecated();
        Input config = Input::combo("config_name", {});
        config.options_provider = [](const Folders& f) { return list_model_files(f, {"configs"}); };
        d.validate_handles = {"config_name"};  // the YAML config is not needed: the structure comes from the keys
        d.validate = [](const ValidateArgs&) -> std::optional<std::string> { return std::nullopt; };
        d.schema.required(config).required(model_picker("ckpt_name", {"checkpoints"})).output("MODEL").output("CLIP").output("VAE");
        d.execute = load_checkpoint;
        r.add(std::move(d));
    }
    {
        NodeDefinition d{loader_schema("UNETLoader", "Load Diffusion Model", "advanced/loaders")};
        d.schema.required(model_picker("unet_name", {"unet", "diffusion_models"}))
            .required(Input::combo("weight_dtype", {"default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"}))
            .output("MODEL");
        d.execute = [](NodeContext& ctx) {
            const auto path = find_model_file(ctx.folders(), {"unet", "diffusion_models"}, ctx.get_string("unet_name"));
            ctx.set_output(0, model_value(load_for(ctx, "unet_name", [&] { return models::load_diffusion_model(path.string(), compute_mode(ctx)); })));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{loader_schema("CLIPLoader", "Load CLIP", "advanced/loaders")};
        d.schema.required(model_picker("clip_name", {"text_encoders", "clip"}))
            .required(Input::combo("type", {"stable_diffusion", "stable_cascade", "sd3", "stable_audio", "mochi", "ltxv", "pixart", "cosmos",
                                            "lumina2", "wan", "hidream", "chroma", "ace", "omnigen2", "qwen_image", "hunyuan_image", "flux2", "ovis"}))
            .optional(Input::combo("device", {"default", "cpu"}))
            .output("CLIP");
        d.execute = [](NodeContext& ctx) {
            const models::Family* family = models::family_for_clip_type(ctx.get_string("type"));
            if (!family)
                throw Error(ErrorCode::ValueNotInList, "CLIPLoader type '" + ctx.get_string("type") + "' is not supported yet; weft runs stable_diffusion (SD1.x) text encoders")
                    .at_input("type");
            const auto path = find_model_file(ctx.folders(), {"text_encoders", "clip"}, ctx.get_string("clip_name"));
            ctx.set_output(0, clip_value(load_for(ctx, "clip_name", [&] {
                return models::load_text_encoder(*family, path.string(), clip_tokenizer(ctx.folders()), compute_mode(ctx));
            })));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{loader_schema("VAELoader", "Load VAE", "loaders")};
        d.schema.required(model_picker("vae_name", {"vae"})).output("VAE");
        d.execute = [](NodeContext& ctx) {
            const auto path = find_model_file(ctx.folders(), {"vae"}, ctx.get_string("vae_name"));
            ctx.set_output(0, vae_value(load_for(ctx, "vae_name", [&] { return models::load_autoencoder(path.string(), compute_mode(ctx)); })));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
