// LoraLoader and LoraLoaderModelOnly: a LoRA from the models folder's loras/ applied to MODEL (and
// CLIP) at a strength. The outputs are structural copies that share every base weight (see
// models/lora/lora_apply.h), so a cached base plus several LoRA variants cost the adapters only.
#include "families/sd1/lora_apply.h"
#include "nodes/file_hash.h"
#include "nodes/model_folders.h"
#include "nodes/node_families.h"
#include "nodes/sd_objects.h"

#include <weft/node.h>
#include <weft/registry.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

namespace weft::nodes {

namespace {

namespace fs = std::filesystem;

/// What identifies a file's content cheaply: re-hashing a 100+ MB LoRA on every run is avoided
/// while its size and modification time stay the same.
struct FileStamp {
    std::string path;
    uintmax_t size = 0;
    int64_t mtime = 0;
    bool operator<(const FileStamp& o) const { return std::tie(path, size, mtime) < std::tie(o.path, o.size, o.mtime); }
    bool operator==(const FileStamp& o) const = default;
};

FileStamp stamp_of(const fs::path& p) {
    return {p.string(), fs::file_size(p), static_cast<int64_t>(fs::last_write_time(p).time_since_epoch().count())};
}

/// The last LoRA file a node read (ComfyUI's LoraLoader keeps one too): another strength of the
/// same file reads nothing.
struct LoadedLora {
    FileStamp stamp;
    std::shared_ptr<const lora::LoraFile> file;
};

fs::path lora_path(NodeContext& ctx) {
    try {
        return find_model_file(ctx.folders(), {"loras"}, ctx.get_string("lora_name"));
    } catch (Error& e) {
        e.at_input("lora_name");
        throw;
    }
}

std::shared_ptr<const lora::LoraFile> read_lora(NodeContext& ctx, const fs::path& path) {
    auto& loaded = ctx.instance_state<LoadedLora>();
    try {
        const FileStamp s = stamp_of(path);
        if (!loaded.file || !(loaded.stamp == s)) loaded = {s, std::make_shared<const lora::LoraFile>(lora::read_lora_file(path.string()))};
    } catch (Error& e) {
        e.at_input("lora_name");
        throw;
    } catch (const fs::filesystem_error& e) {
        throw Error(ErrorCode::ModelLoadFailed, fmt::format("cannot read LoRA {}: {}", path.string(), e.what()), path.string())
            .at_input("lora_name")
            .at_path(path.string());
    }
    return loaded.file;
}

/// Applies the node's LoRA; a partial match is reported on stderr naming the file and counts (no
/// node warning channel exists), no match at all is an error naming the file.
lora::PatchedModels apply(NodeContext& ctx, std::shared_ptr<const models::DiffusionModel> model, std::shared_ptr<const models::TextEncoder> clip,
                          double strength_model, double strength_clip) {
    const fs::path path = lora_path(ctx);
    auto file = read_lora(ctx, path);
    try {
        lora::PatchedModels p = lora::apply_lora(std::move(model), std::move(clip), *file, static_cast<float>(strength_model), static_cast<float>(strength_clip));
        // Also when only text-encoder modules matched and there is no CLIP: nothing was applied.
        if (!p.report.complete() || p.report.matched() == 0)
            std::fprintf(stderr, "warning: node %s (%s): %s\n", ctx.node_id().c_str(), ctx.class_type().c_str(), p.report.message().c_str());
        return p;
    } catch (Error& e) {
        e.at_input("lora_name");
        throw;
    }
}

std::optional<Value> fingerprint(NodeContext& ctx) {
    if (!ctx.has("lora_name") || !ctx.input("lora_name").is_string()) return Value();
    try {
        return Value(sha256_file_hex_remembered(find_model_file(ctx.folders(), {"loras"}, ctx.get_string("lora_name"))));
    } catch (const std::exception&) {
        return std::nullopt;  // unreadable: run, and let execute report it
    }
}

Input strength(const char* name) { return Input::floating(name, 1.0).min(-100.0).max(100.0).step(0.01); }

}  // namespace

void register_lora_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("LoraLoader")};
        d.schema.display("Load LoRA").category("loaders").exclusive();
        d.schema.required(Input::type_of("model", "MODEL"))
            .required(Input::type_of("clip", "CLIP"))
            .required(model_picker("lora_name", {"loras"}))
            .required(strength("strength_model"))
            .required(strength("strength_clip"))
            .output("MODEL", "MODEL")
            .output("CLIP", "CLIP");
        d.fingerprint = fingerprint;
        d.execute = [](NodeContext& ctx) {
            const double sm = ctx.get_float("strength_model"), sc = ctx.get_float("strength_clip");
            if (sm == 0.0 && sc == 0.0) {  // ComfyUI returns its inputs untouched, without reading the file
                ctx.set_output(0, ctx.input("model"));
                ctx.set_output(1, ctx.input("clip"));
                return;
            }
            auto p = apply(ctx, ctx.get_object<models::DiffusionModel>("model"), ctx.get_object<models::TextEncoder>("clip"), sm, sc);
            ctx.set_output(0, model_value(p.model));
            ctx.set_output(1, clip_value(p.clip));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("LoraLoaderModelOnly")};
        d.schema.display("LoraLoaderModelOnly").category("loaders").exclusive();
        d.schema.required(Input::type_of("model", "MODEL")).required(model_picker("lora_name", {"loras"})).required(strength("strength_model")).output("MODEL", "MODEL");
        d.fingerprint = fingerprint;
        d.execute = [](NodeContext& ctx) {
            const double sm = ctx.get_float("strength_model");
            if (sm == 0.0) {
                ctx.set_output(0, ctx.input("model"));
                return;
            }
            ctx.set_output(0, model_value(apply(ctx, ctx.get_object<models::DiffusionModel>("model"), nullptr, sm, 0.0).model));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
