// SaveAnimatedWEBP and SaveAnimatedPNG: IMAGE batches as one animated file, workflow embedded.
#include "nodes/node_errors.h"
#include "media/animated_webp.h"
#include "media/apng.h"
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/output_path.h"
#include "media/png_io.h"

#include <weft/node.h>

#include <fmt/format.h>

namespace weft::nodes {

namespace {

// Resolves the output name, runs `write(path, batch)` and returns ComfyUI's ui result.
template <class Write>
Dict save_animation(NodeContext& ctx, const char* ext, Write&& write) {
    const Tensor batch = with_input(ctx, "images", [&] { return image_batch_f32(ctx.get_tensor("images"), "images"); });
    const SavePath where = with_input(ctx, "filename_prefix", [&] {
        return resolve_save_path(ctx.get_string("filename_prefix"), ctx.folders().output, batch.size(2), batch.size(1));
    });
    const std::string file = fmt::format("{}_{:05}_.{}", where.filename, where.counter, ext);
    const double n = double(batch.size(0));
    write(where.folder / file, batch, [&](int64_t i) { ctx.progress(double(i), n); });
    List results{Dict{{"filename", file}, {"subfolder", where.subfolder}, {"type", "output"}}};
    return Dict{{"images", std::move(results)}, {"animated", List{true}}};
}

NodeSchema animation_schema(const char* name) {
    return NodeSchema(name)
        .category("image/animation")
        .required(Input::type_of("images", "IMAGE"))
        .required(Input::string("filename_prefix", "ComfyUI"))
        .required(Input::floating("fps", 6.0).min(0.01).max(1000.0).step(0.01));
}

}  // namespace

void register_animation_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{animation_schema("SaveAnimatedWEBP")
                               .required(Input::boolean("lossless", true))
                               .required(Input::integer("quality", 80).min(0).max(100))
                               .required(Input::combo("method", {"default", "fastest", "slowest"}))
                               .hidden("prompt", Hidden::Prompt)
                               .hidden("extra_pnginfo", Hidden::ExtraPngInfo)
                               .output_node()};
        def.execute = [](NodeContext& ctx) {
            media::AnimatedWebpOptions o;
            o.fps = ctx.get_float("fps");
            o.lossless = ctx.get_bool("lossless");
            o.quality = int(ctx.get_int("quality"));
            const std::string& method = ctx.get_string("method");
            o.method = method == "fastest" ? 0 : method == "slowest" ? 6 : 4;
            // ComfyUI's EXIF layout: "prompt:<json>" in Model (0x0110), extra_pnginfo keys from
            // Make (0x010F) downwards.
            std::vector<std::pair<uint16_t, std::string>> exif;
            if (!ctx.prompt_json().empty()) exif.emplace_back(0x0110, "prompt:" + media::json_ascii(ctx.prompt_json()));
            uint16_t tag = 0x010F;
            for (const auto& [key, json] : ctx.extra_pnginfo()) exif.emplace_back(tag--, key + ":" + media::json_ascii(json));
            if (!exif.empty()) o.exif = media::exif_ascii_tiff(exif);
            ctx.set_ui(save_animation(ctx, "webp", [&](const auto& path, const Tensor& batch, const auto& on_frame) {
                media::write_animated_webp(path, batch, o, on_frame);
            }));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{animation_schema("SaveAnimatedPNG")
                               .required(Input::integer("compress_level", 4).min(0).max(9))
                               .hidden("prompt", Hidden::Prompt)
                               .hidden("extra_pnginfo", Hidden::ExtraPngInfo)
                               .output_node()};
        def.execute = [](NodeContext& ctx) {
            media::ApngOptions o;
            o.fps = ctx.get_float("fps");
            o.compress_level = int(ctx.get_int("compress_level"));
            if (!ctx.prompt_json().empty()) o.comf.push_back({"prompt", media::json_ascii(ctx.prompt_json())});
            for (const auto& [key, json] : ctx.extra_pnginfo()) o.comf.push_back({key, media::json_ascii(json)});
            ctx.set_ui(save_animation(ctx, "png", [&](const auto& path, const Tensor& batch, const auto& on_frame) {
                media::write_apng(path, batch, o, on_frame);
            }));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
