// UpscaleModelLoader and ImageUpscaleWithModel: ESRGAN-family and compact Real-ESRGAN models from
// the models folder's upscale_models/, run over 512-pixel tiles with 32-pixel feathered overlaps.
#include "families/upscale/upscale_model.h"
#include "nodes/compute_mode.h"
#include "nodes/file_hash.h"
#include "nodes/model_folders.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"

#include <weft/node.h>
#include <weft/registry.h>

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

namespace weft::nodes {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kFolders{"upscale_models"};

void load_upscale_model_node(NodeContext& ctx) {
    const fs::path path = find_model_file(ctx.folders(), kFolders, ctx.get_string("model_name"));
    std::shared_ptr<const upscale::UpscaleModel> m;
    try {
        m = upscale::load_upscale_model(path.string(), compute_mode(ctx));
    } catch (Error& e) {
        e.at_input("model_name");
        throw;
    }
    const size_t bytes = m->bytes;
    ctx.set_output(0, Value::object<upscale::UpscaleModel>(std::move(m), "UPSCALE_MODEL", bytes));
}

void upscale_image_node(NodeContext& ctx) {
    auto model = ctx.get_object<upscale::UpscaleModel>("upscale_model");
    const Tensor& image = ctx.get_tensor("image");
    if (image.dim() != 4 || image.size(3) != model->in_channels())
        throw input_error(ctx, "image", "the " + model->architecture + " model takes " + std::to_string(model->in_channels()) +
                                            "-channel images [B,H,W,C]; got " + image.describe());
    ctx.check_cancelled();
    // Progress after every tile; progress() throws weft::Cancelled, which stops between tiles.
    Tensor out = model->upscale(nhwc_to_nchw(image.to(DType::F32)),
                                [&](int64_t done, int64_t total) { ctx.progress(static_cast<double>(done), static_cast<double>(total)); });
    ctx.set_output(0, Value(nchw_to_nhwc(out)));
}

}  // namespace

void register_upscale_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("UpscaleModelLoader")};
        d.schema.display("Load Upscale Model").category("loaders").exclusive();
        d.schema.required(model_picker("model_name", kFolders)).output("UPSCALE_MODEL");
        // The file's content is part of the cache key: a replaced file reloads.
        d.fingerprint = [](NodeContext& ctx) -> std::optional<Value> {
            try {
                return Value(sha256_file_hex_remembered(find_model_file(ctx.folders(), kFolders, ctx.get_string("model_name"))));
            } catch (const std::exception&) {
                return std::nullopt;  // the node runs and reports the error
            }
        };
        d.execute = load_upscale_model_node;
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("ImageUpscaleWithModel")};
        d.schema.display("Upscale Image (using Model)").category("image/upscaling").exclusive();
        d.schema.required(Input::type_of("upscale_model", "UPSCALE_MODEL")).required(Input::type_of("image", "IMAGE")).output("IMAGE");
        d.execute = upscale_image_node;
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
