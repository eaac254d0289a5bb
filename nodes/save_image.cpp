// SaveImage and PreviewImage: IMAGE batches written as PNG files with the workflow embedded.
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/output_path.h"
#include "media/png_io.h"

#include <weft/node.h>

#include <fmt/format.h>

#include <random>

namespace fs = std::filesystem;

namespace weft::nodes {

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
}

// Writes one "<name>_<counter:05>_.png" per batch item under `base`; returns ComfyUI's ui result.
Dict save_images(NodeContext& ctx, const fs::path& base, const std::string& prefix, const char* type, int level) {
    const Tensor batch = image_batch_f32(ctx.get_tensor("images"), "images");
    const int64_t count = batch.size(0), height = batch.size(1), width = batch.size(2), channels = batch.size(3);

    SavePath where;
    try {
        where = resolve_save_path(prefix, base, width, height);
    } catch (Error& e) {
        e.at_input("filename_prefix");
        throw;
    }

    std::vector<media::PngText> texts;
    if (!ctx.prompt_json().empty()) texts.push_back({"prompt", media::json_ascii(ctx.prompt_json())});
    for (const auto& [key, json] : ctx.extra_pnginfo()) texts.push_back({key, media::json_ascii(json)});

    List results;
    int64_t counter = where.counter;
    for (int64_t b = 0; b < count; ++b) {
        ctx.check_cancelled();
        std::string name = where.filename;
        replace_all(name, "%batch_num%", std::to_string(b));
        const std::string file = fmt::format("{}_{:05}_.png", name, counter++);
        const std::vector<uint8_t> pixels = image_item_to_u8(batch, b);
        media::write_png(where.folder / file, pixels, int(width), int(height), int(channels), texts, level);
        results.push_back(Dict{{"filename", file}, {"subfolder", where.subfolder}, {"type", type}});
    }
    return Dict{{"images", std::move(results)}};
}

NodeSchema with_metadata_inputs(NodeSchema s) {
    return s.hidden("prompt", Hidden::Prompt).hidden("extra_pnginfo", Hidden::ExtraPngInfo);
}

// PreviewImage's per-node random suffix: "_temp_" and five lowercase letters, fixed for the
// lifetime of the node instance like ComfyUI's.
struct PreviewSuffix {
    std::string text;
};

}  // namespace

void register_save_image_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{with_metadata_inputs(NodeSchema("SaveImage")
                                                    .display("Save Image")
                                                    .category("image")
                                                    .description("Saves the input images to your output directory.")
                                                    .required(Input::type_of("images", "IMAGE"))
                                                    .required(Input::string("filename_prefix", "ComfyUI"))
                                                    .output_node())};
        def.execute = [](NodeContext& ctx) {
            ctx.set_ui(save_images(ctx, ctx.folders().output, ctx.get_string("filename_prefix"), "output", 4));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{with_metadata_inputs(NodeSchema("PreviewImage")
                                                    .display("Preview Image")
                                                    .category("image")
                                                    .description("Saves the input images to your temp directory.")
                                                    .required(Input::type_of("images", "IMAGE"))
                                                    .output_node())};
        def.execute = [](NodeContext& ctx) {
            auto& suffix = ctx.instance_state<PreviewSuffix>();
            if (suffix.text.empty()) {
                std::random_device rd;
                std::uniform_int_distribution<int> letter(0, 25);
                suffix.text = "_temp_";
                for (int i = 0; i < 5; ++i) suffix.text += char('a' + letter(rd));
            }
            ctx.set_ui(save_images(ctx, ctx.folders().temp, "ComfyUI" + suffix.text, "temp", 1));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
