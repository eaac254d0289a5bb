// MASK nodes (comfy_extras.nodes_mask): ImageToMask, MaskToImage, InvertMask, SolidMask, GrowMask,
// FeatherMask, ThresholdMask, MaskComposite.
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"

#include <weft/node.h>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace weft::nodes {

namespace {

NodeSchema mask_schema(const char* name) {
    return NodeSchema(name).category("mask").module("comfy_extras.nodes_mask");
}

// One 3x3 grey dilation (max) or erosion (min) step; the cross footprint skips the corners.
// Pixels outside the mask are ignored, which is what scipy.ndimage's default "reflect" border
// amounts to for a 3x3 window.
void morph_step(const float* in, float* out, int64_t h, int64_t w, bool dilate, bool corners) {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, h), [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t y = r.begin(); y != r.end(); ++y)
            for (int64_t x = 0; x < w; ++x) {
                float v = in[y * w + x];
                for (int64_t dy = -1; dy <= 1; ++dy)
                    for (int64_t dx = -1; dx <= 1; ++dx) {
                        if (!corners && dy != 0 && dx != 0) continue;
                        const int64_t yy = y + dy, xx = x + dx;
                        if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                        const float n = in[yy * w + xx];
                        v = dilate ? std::max(v, n) : std::min(v, n);
                    }
                out[y * w + x] = v;
            }
    });
}

const std::vector<std::string> kCompositeOps = {"multiply", "add", "subtract", "and", "or", "xor"};

float composite_op(float d, float s, int op) {
    auto on = [](float v) { return std::nearbyint(v) != 0.0f; };  // round (halves to even), then bool
    switch (op) {
        case 0: return d * s;
        case 1: return d + s;
        case 2: return d - s;
        case 3: return (on(d) && on(s)) ? 1.0f : 0.0f;
        case 4: return (on(d) || on(s)) ? 1.0f : 0.0f;
        default: return (on(d) != on(s)) ? 1.0f : 0.0f;
    }
}

}  // namespace

void register_mask_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{mask_schema("ImageToMask")
                               .display("Convert Image to Mask")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::combo("channel", {"red", "green", "blue", "alpha"}))
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            const Tensor img = image_batch_f32(ctx.get_tensor("image"));
            const std::string& channel = ctx.get_string("channel");
            const int64_t index = channel == "red" ? 0 : channel == "green" ? 1 : channel == "blue" ? 2 : 3;
            const int64_t b = img.size(0), h = img.size(1), w = img.size(2), c = img.size(3);
            if (index >= c)
                throw input_error(ctx, "channel", fmt::format("the image has no {} channel ({} channels)", channel, c));
            Tensor out = Tensor::zeros({b, h, w});
            const float* s = img.data<float>();
            float* d = out.data<float>();
            for (int64_t p = 0; p < b * h * w; ++p) d[p] = s[p * c + index];
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{mask_schema("MaskToImage").display("Convert Mask to Image").required(Input::type_of("mask", "MASK")).output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor m = mask_batch(ctx.get_tensor("mask"));
            Tensor out = Tensor::zeros({m.size(0), m.size(1), m.size(2), 3});
            const float* s = m.data<float>();
            float* d = out.data<float>();
            for (int64_t p = 0; p < m.numel(); ++p) d[3 * p] = d[3 * p + 1] = d[3 * p + 2] = s[p];
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{mask_schema("InvertMask").required(Input::type_of("mask", "MASK")).output("MASK")};
        def.execute = [](NodeContext& ctx) {
            const Tensor m = ctx.get_tensor("mask").to(DType::F32);
            Tensor out = Tensor::zeros(m.shape());
            const float* s = m.data<float>();
            float* d = out.data<float>();
            for (int64_t i = 0; i < m.numel(); ++i) d[i] = 1.0f - s[i];
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{mask_schema("SolidMask")
                               .required(Input::floating("value", 1.0).min(0.0).max(1.0).step(0.01))
                               .required(Input::integer("width", 512).min(1).max(16384).step(1))
                               .required(Input::integer("height", 512).min(1).max(16384).step(1))
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            ctx.set_output(0, Tensor::full({1, ctx.get_int("height"), ctx.get_int("width")}, float(ctx.get_float("value"))));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{mask_schema("GrowMask")
                               .display("Grow Mask")
                               .required(Input::type_of("mask", "MASK"))
                               .required(Input::integer("expand", 0).min(-16384).max(16384).step(1))
                               .required(Input::boolean("tapered_corners", true))
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            Tensor cur = mask_batch(ctx.get_tensor("mask")).clone();
            const int64_t expand = ctx.get_int("expand");
            const bool corners = !ctx.get_bool("tapered_corners");  // tapered = cross footprint
            const int64_t b = cur.size(0), h = cur.size(1), w = cur.size(2);
            Tensor next = Tensor::zeros(cur.shape());
            for (int64_t step = 0; step < std::abs(expand); ++step) {
                ctx.check_cancelled();
                for (int64_t n = 0; n < b; ++n)
                    morph_step(cur.data<float>() + n * h * w, next.data<float>() + n * h * w, h, w, expand > 0, corners);
                std::swap(cur, next);
            }
            ctx.set_output(0, std::move(cur));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{mask_schema("FeatherMask")
                               .required(Input::type_of("mask", "MASK"))
                               .required(Input::integer("left", 0).min(0).max(16384).step(1))
                               .required(Input::integer("top", 0).min(0).max(16384).step(1))
                               .required(Input::integer("right", 0).min(0).max(16384).step(1))
                               .required(Input::integer("bottom", 0).min(0).max(16384).step(1))
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            Tensor out = mask_batch(ctx.get_tensor("mask")).clone();
            const int64_t b = out.size(0), h = out.size(1), w = out.size(2);
            const int64_t left = std::min(ctx.get_int("left"), w), right = std::min(ctx.get_int("right"), w);
            const int64_t top = std::min(ctx.get_int("top"), h), bottom = std::min(ctx.get_int("bottom"), h);
            float* d = out.data<float>();
            auto scale_col = [&](int64_t col, float f) {
                for (int64_t n = 0; n < b; ++n)
                    for (int64_t y = 0; y < h; ++y) d[(n * h + y) * w + col] *= f;
            };
            auto scale_row = [&](int64_t row, float f) {
                for (int64_t n = 0; n < b; ++n)
                    for (int64_t x = 0; x < w; ++x) d[(n * h + row) * w + x] *= f;
            };
            // ComfyUI indexes the right/bottom edges with -x, so step 0 lands on the first
            // column/row and the last one gets 2/n; kept for identical results.
            for (int64_t x = 0; x < left; ++x) scale_col(x, float(double(x + 1) / double(left)));
            for (int64_t x = 0; x < right; ++x) scale_col((w - x) % w, float(double(x + 1) / double(right)));
            for (int64_t y = 0; y < top; ++y) scale_row(y, float(double(y + 1) / double(top)));
            for (int64_t y = 0; y < bottom; ++y) scale_row((h - y) % h, float(double(y + 1) / double(bottom)));
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{mask_schema("ThresholdMask")
                               .required(Input::type_of("mask", "MASK"))
                               .required(Input::floating("value", 0.5).min(0.0).max(1.0).step(0.01))
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            const Tensor m = ctx.get_tensor("mask").to(DType::F32);
            const float v = float(ctx.get_float("value"));  // torch compares in the tensor's dtype
            Tensor out = Tensor::zeros(m.shape());
            const float* s = m.data<float>();
            float* d = out.data<float>();
            for (int64_t i = 0; i < m.numel(); ++i) d[i] = s[i] > v ? 1.0f : 0.0f;
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{mask_schema("MaskComposite")
                               .required(Input::type_of("destination", "MASK"))
                               .required(Input::type_of("source", "MASK"))
                               .required(Input::integer("x", 0).min(0).max(16384).step(1))
                               .required(Input::integer("y", 0).min(0).max(16384).step(1))
                               .required(Input::combo("operation", kCompositeOps))
                               .output("MASK")};
        def.execute = [](NodeContext& ctx) {
            Tensor out = mask_batch(ctx.get_tensor("destination"), "destination").clone();
            const Tensor src = mask_batch(ctx.get_tensor("source"), "source");
            const int64_t bd = out.size(0), hd = out.size(1), wd = out.size(2);
            const int64_t bs = src.size(0), hs = src.size(1), ws = src.size(2);
            if (bs != bd && bs != 1)
                throw input_error(ctx, "source", fmt::format("a batch of {} source masks cannot be composited onto {}", bs, bd));
            const int64_t left = ctx.get_int("x"), top = ctx.get_int("y");
            const int64_t vis_w = std::max<int64_t>(0, std::min(left + ws, wd) - left);
            const int64_t vis_h = std::max<int64_t>(0, std::min(top + hs, hd) - top);
            const int op = int(std::find(kCompositeOps.begin(), kCompositeOps.end(), ctx.get_string("operation")) - kCompositeOps.begin());
            float* d = out.data<float>();
            const float* s = src.data<float>();
            for (int64_t n = 0; n < bd; ++n)
                for (int64_t y = 0; y < vis_h; ++y)
                    for (int64_t x = 0; x < vis_w; ++x) {
                        float& dv = d[(n * hd + top + y) * wd + left + x];
                        dv = composite_op(dv, s[((bs == 1 ? 0 : n) * hs + y) * ws + x], op);
                    }
            for (int64_t i = 0; i < out.numel(); ++i) d[i] = std::clamp(d[i], 0.0f, 1.0f);
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
