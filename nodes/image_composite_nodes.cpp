// IMAGE compositing nodes: ImageCompositeMasked, ImagePadForOutpaint, JoinImageWithAlpha,
// SplitImageWithAlpha.
#include "nodes/composite.h"
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"
#include "tensor/resample.h"

#include <weft/node.h>

#include <algorithm>

namespace weft::nodes {

namespace {

// ImagePadForOutpaint's mask over the original pixels: 0 inside, rising as ((f - d) / f)^2 within
// `feathering` pixels of a padded side (d = distance to that side).
std::vector<float> outpaint_feather(int64_t h, int64_t w, int64_t left, int64_t top, int64_t right, int64_t bottom,
                                    int64_t feathering) {
    std::vector<float> t(size_t(h * w), 0.0f);
    if (feathering <= 0 || feathering * 2 >= h || feathering * 2 >= w) return t;
    for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
            const int64_t dt = top != 0 ? i : h, db = bottom != 0 ? h - i : h;
            const int64_t dl = left != 0 ? j : w, dr = right != 0 ? w - j : w;
            const int64_t d = std::min({dt, db, dl, dr});
            if (d >= feathering) continue;
            const double v = double(feathering - d) / double(feathering);
            t[size_t(i * w + j)] = float(v * v);
        }
    return t;
}

}  // namespace

void register_image_composite_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("ImageCompositeMasked")
                               .category("image")
                               .module("comfy_extras.nodes_mask")
                               .required(Input::type_of("destination", "IMAGE"))
                               .required(Input::type_of("source", "IMAGE"))
                               .required(Input::integer("x", 0).min(0).max(16384).step(1))
                               .required(Input::integer("y", 0).min(0).max(16384).step(1))
                               .required(Input::boolean("resize_source", false))
                               .optional(Input::type_of("mask", "MASK"))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor dest = image_batch_f32(ctx.get_tensor("destination"), "destination");
            const Tensor src = match_source_channels(dest, image_batch_f32(ctx.get_tensor("source"), "source"));
            Tensor mask;
            if (ctx.has("mask") && !ctx.input("mask").is_null()) mask = ctx.get_tensor("mask");
            try {
                ctx.set_output(0, nchw_to_nhwc(composite_masked(nhwc_to_nchw(dest), nhwc_to_nchw(src), ctx.get_int("x"),
                                                                ctx.get_int("y"), mask, 1, ctx.get_bool("resize_source"))));
            } catch (Error& e) {
                e.at_input("source");
                throw;
            }
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImagePadForOutpaint")
                               .display("Pad Image for Outpainting")
                               .category("image")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::integer("left", 0).min(0).max(16384).step(8))
                               .required(Input::integer("top", 0).min(0).max(16384).step(8))
                               .required(Input::integer("right", 0).min(0).max(16384).step(8))
                               .required(Input::integer("bottom", 0).min(0).max(16384).step(8))
                               .required(Input::integer("feathering", 40).min(0).max(16384).step(1))
                               .output("IMAGE")
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            const Tensor img = image_batch_f32(ctx.get_tensor("image"));
            const int64_t b = img.size(0), h = img.size(1), w = img.size(2), c = img.size(3);
            const int64_t left = ctx.get_int("left"), top = ctx.get_int("top"), right = ctx.get_int("right"),
                          bottom = ctx.get_int("bottom");
            const int64_t nh = h + top + bottom, nw = w + left + right;
            // New pixels are mid grey; the mask is 1 over them and feathered over the original.
            Tensor out = Tensor::full({b, nh, nw, c}, 0.5f);
            const float* s = img.data<float>();
            float* d = out.data<float>();
            for (int64_t n = 0; n < b; ++n)
                for (int64_t y = 0; y < h; ++y)
                    std::copy(s + ((n * h + y) * w) * c, s + ((n * h + y) * w + w) * c, d + ((n * nh + y + top) * nw + left) * c);
            Tensor mask = Tensor::full({1, nh, nw}, 1.0f);
            const std::vector<float> t = outpaint_feather(h, w, left, top, right, bottom, ctx.get_int("feathering"));
            float* m = mask.data<float>();
            for (int64_t y = 0; y < h; ++y) std::copy(t.begin() + y * w, t.begin() + (y + 1) * w, m + (y + top) * nw + left);
            ctx.set_output(0, std::move(out));
            ctx.set_output(1, std::move(mask));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("JoinImageWithAlpha")
                               .display("Join Image with Alpha")
                               .category("mask/compositing")
                               .module("comfy_extras.nodes_compositing")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::type_of("alpha", "MASK"))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor img = image_batch_f32(ctx.get_tensor("image"));
            const Tensor m = mask_batch(ctx.get_tensor("alpha"), "alpha");
            const int64_t h = img.size(1), w = img.size(2), c = img.size(3);
            if (c < 3) throw input_error(ctx, "image", "JoinImageWithAlpha needs an RGB image, got " + img.describe());
            // The mask is resized to the image (bilinear); alpha = 1 - mask; the batch is the
            // smaller of the two.
            const Tensor alpha = resize_nchw(m.reshape({m.size(0), 1, m.size(1), m.size(2)}), h, w, ResampleMethod::Bilinear);
            const int64_t b = std::min(img.size(0), m.size(0));
            Tensor out = Tensor::zeros({b, h, w, 4});
            const float* s = img.data<float>();
            const float* a = alpha.data<float>();
            float* d = out.data<float>();
            for (int64_t n = 0; n < b; ++n)
                for (int64_t p = 0; p < h * w; ++p) {
                    const float* px = s + (n * h * w + p) * c;
                    float* o = d + (n * h * w + p) * 4;
                    o[0] = px[0];
                    o[1] = px[1];
                    o[2] = px[2];
                    o[3] = 1.0f - a[n * h * w + p];
                }
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("SplitImageWithAlpha")
                               .display("Split Image with Alpha")
                               .category("mask/compositing")
                               .module("comfy_extras.nodes_compositing")
                               .required(Input::type_of("image", "IMAGE"))
                               .output("IMAGE")
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            const Tensor img = image_batch_f32(ctx.get_tensor("image"));
            const int64_t b = img.size(0), h = img.size(1), w = img.size(2), c = img.size(3);
            if (c < 3) throw input_error(ctx, "image", "SplitImageWithAlpha needs an RGB(A) image, got " + img.describe());
            Tensor rgb = Tensor::zeros({b, h, w, 3});
            Tensor mask = Tensor::zeros({b, h, w});  // 1 - alpha; no alpha = opaque = 0
            const float* s = img.data<float>();
            float* o = rgb.data<float>();
            float* m = mask.data<float>();
            for (int64_t p = 0; p < b * h * w; ++p) {
                o[p * 3] = s[p * c];
                o[p * 3 + 1] = s[p * c + 1];
                o[p * 3 + 2] = s[p * c + 2];
                m[p] = c > 3 ? 1.0f - s[p * c + 3] : 0.0f;
            }
            ctx.set_output(0, std::move(rgb));
            ctx.set_output(1, std::move(mask));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
