// LATENT geometry nodes: LatentComposite, LatentCompositeMasked, LatentCrop, LatentFlip,
// LatentRotate. Positions and sizes are given in pixels and divided by 8.
#include "nodes/composite.h"
#include "nodes/latent_helpers.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"

#include <weft/node.h>

#include <fmt/format.h>

namespace weft::nodes {

namespace {

// nodes.LatentComposite: samples_from pasted at (x, y) (latent cells), cut at the border; with
// `feather` > 0 the pasted block fades in linearly over `feather` cells along each side that does
// not touch the destination's border.
Tensor latent_composite(const Tensor& to, const Tensor& from_in, int64_t x, int64_t y, int64_t feather) {
    Tensor s = to.clone();
    const int64_t B = s.size(0), C = s.size(1), H = s.size(2), W = s.size(3);
    if (y >= H || x >= W) return s;
    const int64_t Bf = from_in.size(0);
    if (Bf != B && Bf != 1) throw Error(ErrorCode::InvalidInput, fmt::format("cannot composite a batch of {} onto a batch of {}", Bf, B));
    if (from_in.size(1) != C)
        throw Error(ErrorCode::InvalidInput, fmt::format("samples_from has {} channels, samples_to {}", from_in.size(1), C));
    // from[:, :, :H - y, :W - x]
    const SliceRange fr = py_slice(from_in.size(2), 0, H - y), fc = py_slice(from_in.size(3), 0, W - x);
    const Tensor from = from_in.slice(2, fr.begin, fr.end).slice(3, fc.begin, fc.end).contiguous();
    const int64_t fh = from.size(2), fw = from.size(3);

    std::vector<float> mask(size_t(fh * fw), 1.0f);
    auto scale_rows = [&](int64_t start, int64_t stop, float f) {
        const SliceRange r = py_slice(fh, start, stop);
        for (int64_t i = r.begin; i < r.end; ++i)
            for (int64_t j = 0; j < fw; ++j) mask[size_t(i * fw + j)] *= f;
    };
    auto scale_cols = [&](int64_t start, int64_t stop, float f) {
        const SliceRange r = py_slice(fw, start, stop);
        for (int64_t i = 0; i < fh; ++i)
            for (int64_t j = r.begin; j < r.end; ++j) mask[size_t(i * fw + j)] *= f;
    };
    for (int64_t t = 0; t < feather; ++t) {
        const float f = float((1.0 / double(feather)) * double(t + 1));
        if (y != 0) scale_rows(t, t + 1, f);
        if (y + fh < H) scale_rows(fh - 1 - t, fh - t, f);
        if (x != 0) scale_cols(t, t + 1, f);
        if (x + fw < W) scale_cols(fw - 1 - t, fw - t, f);
    }
    float* d = s.data<float>();
    const float* src = from.data<float>();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < fh; ++i)
                for (int64_t j = 0; j < fw; ++j) {
                    float& dv = d[((b * C + c) * H + y + i) * W + x + j];
                    const float sv = src[(((Bf == 1 ? 0 : b) * C + c) * fh + i) * fw + j];
                    const float m = mask[size_t(i * fw + j)];
                    dv = feather == 0 ? sv : sv * m + dv * (1.0f - m);
                }
    return s;
}

}  // namespace

void register_latent_transform_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("LatentComposite")
                               .display("Latent Composite")
                               .category("latent")
                               .required(Input::type_of("samples_to", "LATENT"))
                               .required(Input::type_of("samples_from", "LATENT"))
                               .required(Input::integer("x", 0).min(0).max(16384).step(8))
                               .required(Input::integer("y", 0).min(0).max(16384).step(8))
                               .required(Input::integer("feather", 0).min(0).max(16384).step(8))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& to = ctx.get_latent("samples_to");
            Latent out = to;
            try {
                out.samples = latent_composite(latent_samples(to.samples, "samples_to"),
                                               latent_samples(ctx.get_latent("samples_from").samples, "samples_from"),
                                               ctx.get_int("x") / kLatentScale, ctx.get_int("y") / kLatentScale,
                                               ctx.get_int("feather") / kLatentScale);
            } catch (Error& e) {
                e.at_input("samples_from");
                throw;
            }
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentCompositeMasked")
                               .category("latent")
                               .module("comfy_extras.nodes_mask")
                               .required(Input::type_of("destination", "LATENT"))
                               .required(Input::type_of("source", "LATENT"))
                               .required(Input::integer("x", 0).min(0).max(16384).step(8))
                               .required(Input::integer("y", 0).min(0).max(16384).step(8))
                               .required(Input::boolean("resize_source", false))
                               .optional(Input::type_of("mask", "MASK"))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& dest = ctx.get_latent("destination");
            Tensor mask;
            if (ctx.has("mask") && !ctx.input("mask").is_null()) mask = ctx.get_tensor("mask");
            Latent out = dest;
            try {
                out.samples = composite_masked(latent_samples(dest.samples, "destination"),
                                               latent_samples(ctx.get_latent("source").samples, "source"), ctx.get_int("x"),
                                               ctx.get_int("y"), mask, kLatentScale, ctx.get_bool("resize_source"));
            } catch (Error& e) {
                e.at_input("source");
                throw;
            }
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentCrop")
                               .display("Crop Latent")
                               .category("latent/transform")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::integer("width", 512).min(64).max(16384).step(8))
                               .required(Input::integer("height", 512).min(64).max(16384).step(8))
                               .required(Input::integer("x", 0).min(0).max(16384).step(8))
                               .required(Input::integer("y", 0).min(0).max(16384).step(8))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            const Tensor s = latent_samples(in.samples);
            const int64_t H = s.size(2), W = s.size(3);
            // The origin is kept at least 8 cells (64 pixels) from the far edge.
            const int64_t x = std::min(ctx.get_int("x") / kLatentScale, W - 8);
            const int64_t y = std::min(ctx.get_int("y") / kLatentScale, H - 8);
            const SliceRange rows = py_slice(H, y, y + ctx.get_int("height") / kLatentScale);
            const SliceRange cols = py_slice(W, x, x + ctx.get_int("width") / kLatentScale);
            Latent out = in;
            out.samples = s.slice(2, rows.begin, rows.end).slice(3, cols.begin, cols.end).contiguous();
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentFlip")
                               .display("Flip Latent")
                               .category("latent/transform")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::combo("flip_method", {"x-axis: vertically", "y-axis: horizontally"}))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            Latent out = in;
            out.samples = flip_hw(latent_samples(in.samples), 2, ctx.get_string("flip_method").starts_with("x"));
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentRotate")
                               .display("Rotate Latent")
                               .category("latent/transform")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::combo("rotation", {"none", "90 degrees", "180 degrees", "270 degrees"}))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            const std::string& rot = ctx.get_string("rotation");
            const int k = rot.starts_with("90") ? 1 : rot.starts_with("180") ? 2 : rot.starts_with("270") ? 3 : 0;
            Latent out = in;
            out.samples = rot90_hw(latent_samples(in.samples), 2, k);
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
