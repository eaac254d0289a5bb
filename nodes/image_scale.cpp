// Image scaling nodes: ImageScale, ImageScaleBy, ImageScaleToTotalPixels (comfy.utils.common_upscale
// on the image moved to [B,C,H,W]).
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"
#include "tensor/resample.h"

#include <weft/node.h>

#include <cmath>

namespace weft::nodes {

namespace {

const std::vector<std::string> kImageMethods = {"nearest-exact", "bilinear", "area", "bicubic", "lanczos"};

Tensor scale_image(NodeContext& ctx, const Tensor& image, int64_t width, int64_t height, bool crop_center) {
    const ResampleMethod m = resample_method_from_name(ctx.get_string("upscale_method"));
    try {
        return nchw_to_nhwc(common_upscale(nhwc_to_nchw(image), width, height, m, crop_center));
    } catch (Error& e) {
        e.at_input("image");
        throw;
    }
}

// Python's round() of a double (halves to even).
int64_t py_round(double v) { return static_cast<int64_t>(std::rint(v)); }

}  // namespace

void register_image_scale_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("ImageScale")
                               .display("Upscale Image")
                               .category("image/upscaling")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::combo("upscale_method", kImageMethods))
                               .required(Input::integer("width", 512).min(0).max(16384).step(1))
                               .required(Input::integer("height", 512).min(0).max(16384).step(1))
                               .required(Input::combo("crop", {"disabled", "center"}))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor image = image_batch_f32(ctx.get_tensor("image"));
            int64_t width = ctx.get_int("width"), height = ctx.get_int("height");
            if (width == 0 && height == 0) {
                ctx.set_output(0, image);
                return;
            }
            const int64_t h = image.size(1), w = image.size(2);
            // One side 0: keep the aspect ratio (computed in double, as Python does).
            if (width == 0) width = std::max<int64_t>(1, py_round(double(w) * double(height) / double(h)));
            else if (height == 0) height = std::max<int64_t>(1, py_round(double(h) * double(width) / double(w)));
            ctx.set_output(0, scale_image(ctx, image, width, height, ctx.get_string("crop") == "center"));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageScaleBy")
                               .display("Upscale Image By")
                               .category("image/upscaling")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::combo("upscale_method", kImageMethods))
                               .required(Input::floating("scale_by", 1.0).min(0.01).max(8.0).step(0.01))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor image = image_batch_f32(ctx.get_tensor("image"));
            const double s = ctx.get_float("scale_by");
            const int64_t width = py_round(double(image.size(2)) * s), height = py_round(double(image.size(1)) * s);
            ctx.set_output(0, scale_image(ctx, image, width, height, false));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageScaleToTotalPixels")
                               .category("image/upscaling")
                               .module("comfy_extras.nodes_post_processing")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::combo("upscale_method", kImageMethods))
                               .required(Input::floating("megapixels", 1.0).min(0.01).max(16.0).step(0.01))
                               .required(Input::integer("resolution_steps", 1).min(1).max(256))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor image = image_batch_f32(ctx.get_tensor("image"));
            const double total = ctx.get_float("megapixels") * 1024.0 * 1024.0;
            const int64_t steps = std::max<int64_t>(1, ctx.get_int("resolution_steps"));
            const double w = double(image.size(2)), h = double(image.size(1));
            const double scale_by = std::sqrt(total / (w * h));
            const int64_t width = py_round(w * scale_by / double(steps)) * steps;
            const int64_t height = py_round(h * scale_by / double(steps)) * steps;
            ctx.set_output(0, scale_image(ctx, image, width, height, false));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
