// Basic IMAGE nodes: EmptyImage, ImageInvert, GetImageSize.
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"

#include <weft/node.h>

namespace weft::nodes {

void register_image_basic_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("EmptyImage")
                               .category("image")
                               .required(Input::integer("width", 512).min(1).max(16384).step(1))
                               .required(Input::integer("height", 512).min(1).max(16384).step(1))
                               .required(Input::integer("batch_size", 1).min(1).max(4096))
                               .required(Input::integer("color", 0).min(0).max(16777215).step(1).with_display("color"))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const int64_t w = ctx.get_int("width"), h = ctx.get_int("height"), b = ctx.get_int("batch_size");
            const int64_t color = ctx.get_int("color");
            // Each channel is byte/255 computed in double, then stored as float32.
            const float rgb[3] = {float(double((color >> 16) & 0xFF) / 255.0), float(double((color >> 8) & 0xFF) / 255.0),
                                  float(double(color & 0xFF) / 255.0)};
            Tensor img = Tensor::zeros({b, h, w, 3});
            float* p = img.data<float>();
            const int64_t pixels = b * h * w;
            for (int64_t i = 0; i < pixels; ++i) {
                p[3 * i] = rgb[0];
                p[3 * i + 1] = rgb[1];
                p[3 * i + 2] = rgb[2];
            }
            ctx.set_output(0, std::move(img));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageInvert")
                               .display("Invert Image")
                               .category("image")
                               .required(Input::type_of("image", "IMAGE"))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor src = image_batch_f32(ctx.get_tensor("image"));
            Tensor out = Tensor::zeros(src.shape());
            const float* s = src.data<float>();
            float* d = out.data<float>();
            const int64_t n = src.numel();
            for (int64_t i = 0; i < n; ++i) d[i] = 1.0f - s[i];
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("GetImageSize")
                               .display("Get Image Size")
                               .category("image")
                               .module("comfy_extras.nodes_images")
                               .required(Input::type_of("image", "IMAGE"))
                               .hidden("unique_id", Hidden::UniqueId)
                               .output("INT", "width")
                               .output("INT", "height")
                               .output("INT", "batch_size")};
        def.execute = [](NodeContext& ctx) {
            const Tensor& img = ctx.get_tensor("image");
            if (img.dim() != 4)
                throw Error(ErrorCode::InvalidInputType, "expected an IMAGE [B, H, W, C], got " + img.describe())
                    .at_input("image");
            ctx.set_output(0, img.size(2));
            ctx.set_output(1, img.size(1));
            ctx.set_output(2, img.size(0));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
