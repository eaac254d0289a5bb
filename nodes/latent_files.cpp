// SaveLatent and LoadLatent: LATENT samples in ComfyUI's `.latent` files, safetensors holding
// "latent_tensor" (the samples) and an empty "latent_format_version_0" marker; files without the
// marker are from the old format that stored samples scaled by 0.18215.
#include "nodes/input_files.h"
#include "nodes/node_families.h"
#include "nodes/output_path.h"
#include "nodes/tensor_helpers.h"
#include "tensor/safetensors.h"

#include <weft/node.h>

#include <fmt/format.h>

namespace weft::nodes {

namespace {

constexpr const char* kSamplesKey = "latent_tensor";
constexpr const char* kVersionKey = "latent_format_version_0";
constexpr double kOldFormatScale = 0.18215;

}  // namespace

void register_latent_file_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("SaveLatent")
                               .category("_for_testing")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::string("filename_prefix", "latents/ComfyUI"))
                               .hidden("prompt", Hidden::Prompt)
                               .hidden("extra_pnginfo", Hidden::ExtraPngInfo)
                               .output_node()};
        def.execute = [](NodeContext& ctx) {
            const Tensor samples = latent_samples(ctx.get_latent("samples").samples);
            SavePath where;
            try {
                where = resolve_save_path(ctx.get_string("filename_prefix"), ctx.folders().output, 0, 0);
            } catch (Error& e) {
                e.at_input("filename_prefix");
                throw;
            }
            // Metadata as ComfyUI writes it: "prompt" (JSON, "" without one) and one JSON entry per
            // extra_pnginfo key.
            std::map<std::string, std::string> metadata{{"prompt", ctx.prompt_json()}};
            for (const auto& [key, json] : ctx.extra_pnginfo()) metadata[key] = json;
            const std::string file = fmt::format("{}_{:05}_.latent", where.filename, where.counter);
            const std::string path = (where.folder / file).string();
            try {
                write_safetensors(path, {{kSamplesKey, samples}, {kVersionKey, Tensor::zeros({0})}}, metadata);
            } catch (Error& e) {
                e.at_path(path);
                throw;
            }
            ctx.set_ui(Dict{{"latents", List{Dict{{"filename", file}, {"subfolder", where.subfolder}, {"type", "output"}}}}});
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LoadLatent")
                               .category("_for_testing")
                               .required(file_picker("latent", {".latent"}))
                               .output("LATENT")};
        add_picked_file_checks(def, "latent", "Invalid latent file");
        def.execute = [](NodeContext& ctx) {
            const std::filesystem::path path = picked_file(ctx, "latent");
            try {
                const SafetensorsFile f(path.string());
                const float scale = f.contains(kVersionKey) ? 1.0f : float(1.0 / kOldFormatScale);
                Tensor t = f.tensor(kSamplesKey).to(DType::F32).clone();  // own the data, not the mapping
                if (scale != 1.0f) {
                    float* p = t.data<float>();
                    for (int64_t i = 0; i < t.numel(); ++i) p[i] *= scale;
                }
                Latent l;
                l.samples = std::move(t);
                ctx.set_output(0, Value(std::move(l)));
            } catch (Error& e) {
                e.at_input("latent").at_path(path.string());
                throw;
            }
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
