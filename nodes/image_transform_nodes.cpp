// IMAGE geometry nodes: ImageCrop, ImageFlip, ImageRotate (comfy_extras.nodes_images).
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"

#include <weft/node.h>

namespace weft::nodes {

void register_image_transform_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("ImageCrop")
                               .display("Image Crop")
                               .category("image/transform")
                               .module("comfy_extras.nodes_images")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::integer("width", 512).min(1).max(16384).step(1))
                               .required(Input::integer("height", 512).min(1).max(16384).step(1))
                               .required(Input::integer("x", 0).min(0).max(16384).step(1))
                               .required(Input::integer("y", 0).min(0).max(16384).step(1))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor image = image_batch_f32(ctx.get_tensor("image"));
            const int64_t h = image.size(1), w = image.size(2);
            // The origin is clamped into the image, so the crop is never empty; the far edge is
            // cut at the border (Python slicing).
            const int64_t x = std::min(ctx.get_int("x"), w - 1), y = std::min(ctx.get_int("y"), h - 1);
            const SliceRange rows = py_slice(h, y, y + ctx.get_int("height"));
            const SliceRange cols = py_slice(w, x, x + ctx.get_int("width"));
            ctx.set_output(0, image.slice(1, rows.begin, rows.end).slice(2, cols.begin, cols.end).contiguous());
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageFlip")
                               .category("image/transform")
                               .module("comfy_extras.nodes_images")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::combo("flip_method", {"x-axis: vertically", "y-axis: horizontally"}))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor image = image_batch_f32(ctx.get_tensor("image"));
            ctx.set_output(0, flip_hw(image, 1, ctx.get_string("flip_method").starts_with("x-axis")));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageRotate")
                               .category("image/transform")
                               .module("comfy_extras.nodes_images")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::combo("rotation", {"none", "90 degrees", "180 degrees", "270 degrees"}))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const std::string& rot = ctx.get_string("rotation");
            const int k = rot.starts_with("90") ? 1 : rot.starts_with("180") ? 2 : rot.starts_with("270") ? 3 : 0;
            ctx.set_output(0, rot90_hw(image_batch_f32(ctx.get_tensor("image")), 1, k));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
