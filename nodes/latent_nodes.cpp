// LATENT creation, scaling and batch nodes: EmptyLatentImage, LatentUpscale, LatentUpscaleBy,
// LatentFromBatch, RepeatLatentBatch, LatentBatch, RebatchLatents.
#include "nodes/latent_helpers.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"
#include "tensor/resample.h"

#include <weft/node.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace weft::nodes {

namespace {

const std::vector<std::string> kLatentMethods = {"nearest-exact", "bilinear", "area", "bicubic", "bislerp"};

int64_t py_round(double v) { return static_cast<int64_t>(std::rint(v)); }

Latent upscaled(NodeContext& ctx, const Latent& in, int64_t width, int64_t height, bool crop_center) {
    Latent out = in;  // noise_mask and batch_index are kept as they are (ComfyUI copies the dict)
    try {
        out.samples = common_upscale(latent_samples(in.samples), width, height,
                                     resample_method_from_name(ctx.get_string("upscale_method")), crop_center);
    } catch (Error& e) {
        e.at_input("samples");
        throw;
    }
    return out;
}

// The first `batch` masks, the mask batch repeated to cover `batch` first when it is smaller
// (ComfyUI: masks.repeat(ceil(batch / n), 1, 1, 1)[:batch]).
Tensor masks_to_batch(const Tensor& masks, int64_t batch) {
    if (masks.size(0) >= batch) return masks.contiguous();
    return repeat_to_batch(masks, batch);
}

// ---- RebatchLatents ------------------------------------------------------------------------------

// One group of latents being collected: samples, their noise masks and batch indices.
struct Group {
    Tensor samples, mask;
    std::vector<int64_t> index;
    int64_t size() const { return samples.size(0); }
};

Group group_of(const Latent& l, int64_t offset) {
    Group g;
    g.samples = latent_samples(l.samples, "latents");
    const int64_t b = g.samples.size(0);
    // Without a noise mask the group carries an all-ones mask at pixel size, dropped again at the end.
    g.mask = l.noise_mask.defined() ? l.noise_mask.to(DType::F32)
                                    : Tensor::full({b, 1, g.samples.size(2) * 8, g.samples.size(3) * 8}, 1.0f);
    if (g.mask.size(0) < b) g.mask = repeat_to_batch(g.mask, b);
    if (!l.batch_index.empty()) g.index = l.batch_index;
    else
        for (int64_t i = 0; i < b; ++i) g.index.push_back(offset + i);
    return g;
}

Group slice_group(const Group& g, int64_t begin, int64_t end) {
    Group s;
    const SliceRange rs = py_slice(g.samples.size(0), begin, end), rm = py_slice(g.mask.size(0), begin, end);
    const SliceRange ri = py_slice(int64_t(g.index.size()), begin, end);
    s.samples = g.samples.slice(0, rs.begin, rs.end).contiguous();
    s.mask = g.mask.slice(0, rm.begin, rm.end).contiguous();
    s.index.assign(g.index.begin() + ri.begin, g.index.begin() + ri.end);
    return s;
}

Group concat_groups(const Group& a, const Group& b) {
    Group g;
    const Tensor s[] = {a.samples, b.samples}, m[] = {a.mask, b.mask};
    g.samples = concat_batch(s);
    g.mask = concat_batch(m);
    g.index = a.index;
    g.index.insert(g.index.end(), b.index.begin(), b.index.end());
    return g;
}

Value group_latent(const Group& g) {
    Latent l;
    l.samples = g.samples;
    l.batch_index = g.index;
    const float* m = g.mask.contiguous().data<float>();
    const bool all_ones = std::all_of(m, m + g.mask.numel(), [](float v) { return v == 1.0f; });
    if (!all_ones) l.noise_mask = g.mask;
    return Value(std::move(l));
}

List rebatch_latents(const List& latents, int64_t batch_size) {
    List out;
    std::optional<Group> cur;
    int64_t processed = 0;
    for (const Value& v : latents) {
        Group next = group_of(v.as_latent(), processed);
        processed += int64_t(next.index.size());
        if (!cur) {
            cur = std::move(next);
        } else if (next.samples.size(2) != cur->samples.size(2) || next.samples.size(3) != cur->samples.size(3)) {
            // A different size ends the current group (it holds at most batch_size items here).
            out.push_back(group_latent(slice_group(*cur, 0, batch_size)));
            cur = std::move(next);
        } else {
            cur = concat_groups(*cur, next);
        }
        if (cur->size() > batch_size) {
            const int64_t num = cur->size() / batch_size;
            for (int64_t i = 0; i < num; ++i) out.push_back(group_latent(slice_group(*cur, i * batch_size, (i + 1) * batch_size)));
            if (num * batch_size < cur->size()) cur = slice_group(*cur, num * batch_size, cur->size());
            else cur.reset();
        }
    }
    if (cur) out.push_back(group_latent(slice_group(*cur, 0, batch_size)));
    return out;
}

}  // namespace

void register_latent_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("EmptyLatentImage")
                               .display("Empty Latent Image")
                               .category("latent")
                               .required(Input::integer("width", 512).min(16).max(16384).step(8))
                               .required(Input::integer("height", 512).min(16).max(16384).step(8))
                               .required(Input::integer("batch_size", 1).min(1).max(4096))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            Latent l;
            l.samples = Tensor::zeros({ctx.get_int("batch_size"), kLatentChannels, ctx.get_int("height") / kLatentScale,
                                       ctx.get_int("width") / kLatentScale});
            ctx.set_output(0, Value(std::move(l)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentUpscale")
                               .display("Upscale Latent")
                               .category("latent")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::combo("upscale_method", kLatentMethods))
                               .required(Input::integer("width", 512).min(0).max(16384).step(8))
                               .required(Input::integer("height", 512).min(0).max(16384).step(8))
                               .required(Input::combo("crop", {"disabled", "center"}))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            int64_t width = ctx.get_int("width"), height = ctx.get_int("height");
            if (width == 0 && height == 0) {
                ctx.set_output(0, Value(in));
                return;
            }
            const Tensor s = latent_samples(in.samples);
            const double lw = double(s.size(3)), lh = double(s.size(2));
            // Sizes are in pixels (at least 64), the latent is 8 times smaller; a 0 side keeps
            // the aspect ratio.
            if (width == 0) {
                height = std::max<int64_t>(64, height);
                width = std::max<int64_t>(64, py_round(lw * double(height) / lh));
            } else if (height == 0) {
                width = std::max<int64_t>(64, width);
                height = std::max<int64_t>(64, py_round(lh * double(width) / lw));
            } else {
                width = std::max<int64_t>(64, width);
                height = std::max<int64_t>(64, height);
            }
            ctx.set_output(0, Value(upscaled(ctx, in, width / kLatentScale, height / kLatentScale, ctx.get_string("crop") == "center")));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentUpscaleBy")
                               .display("Upscale Latent By")
                               .category("latent")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::combo("upscale_method", kLatentMethods))
                               .required(Input::floating("scale_by", 1.5).min(0.01).max(8.0).step(0.01))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            const Tensor s = latent_samples(in.samples);
            const double k = ctx.get_float("scale_by");
            ctx.set_output(0, Value(upscaled(ctx, in, py_round(double(s.size(3)) * k), py_round(double(s.size(2)) * k), false)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentFromBatch")
                               .display("Latent From Batch")
                               .category("latent/batch")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::integer("batch_index", 0).min(0).max(63))
                               .required(Input::integer("length", 1).min(1).max(64))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            const Tensor s = latent_samples(in.samples);
            const int64_t n = s.size(0);
            const int64_t index = std::min(n - 1, ctx.get_int("batch_index"));
            const int64_t length = std::min(n - index, ctx.get_int("length"));
            Latent out;
            out.samples = s.slice(0, index, index + length).clone();
            if (in.noise_mask.defined()) {
                if (in.noise_mask.size(0) == 1) {
                    out.noise_mask = in.noise_mask.clone();
                } else {
                    const Tensor masks = masks_to_batch(in.noise_mask, n);
                    const SliceRange rg = py_slice(masks.size(0), index, index + length);
                    out.noise_mask = masks.slice(0, rg.begin, rg.end).clone();
                }
            }
            if (in.batch_index.empty()) {
                for (int64_t i = index; i < index + length; ++i) out.batch_index.push_back(i);
            } else {
                const SliceRange rg = py_slice(int64_t(in.batch_index.size()), index, index + length);
                out.batch_index.assign(in.batch_index.begin() + rg.begin, in.batch_index.begin() + rg.end);
            }
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("RepeatLatentBatch")
                               .display("Repeat Latent Batch")
                               .category("latent/batch")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::integer("amount", 1).min(1).max(64))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            const int64_t amount = ctx.get_int("amount");
            Latent out = in;
            out.samples = repeat_batch(latent_samples(in.samples), amount);
            // Masks of a single item apply to every item and stay as they are.
            if (in.noise_mask.defined() && in.noise_mask.size(0) > 1) out.noise_mask = repeat_batch(in.noise_mask, amount);
            if (!in.batch_index.empty()) {
                const auto [lo, hi] = std::minmax_element(in.batch_index.begin(), in.batch_index.end());
                const int64_t offset = *hi - *lo + 1;
                for (int64_t i = 1; i < amount; ++i)
                    for (int64_t x : in.batch_index) out.batch_index.push_back(x + i * offset);
            }
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LatentBatch")
                               .category("latent/batch")
                               .module("comfy_extras.nodes_latent")
                               .deprecated()
                               .required(Input::type_of("samples1", "LATENT"))
                               .required(Input::type_of("samples2", "LATENT"))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& a = ctx.get_latent("samples1");
            const Latent& b = ctx.get_latent("samples2");
            const Tensor s1 = latent_samples(a.samples, "samples1");
            const Tensor s2 = reshape_latent_to(s1, latent_samples(b.samples, "samples2"), false);
            Latent out = a;
            const Tensor parts[] = {s1, s2};
            try {
                out.samples = concat_batch(parts);
            } catch (Error& e) {
                e.at_input("samples2");
                throw;
            }
            auto indices = [](const Latent& l, int64_t n) {
                if (!l.batch_index.empty()) return l.batch_index;
                std::vector<int64_t> v;
                for (int64_t i = 0; i < n; ++i) v.push_back(i);
                return v;
            };
            out.batch_index = indices(a, s1.size(0));
            const std::vector<int64_t> more = indices(b, s2.size(0));
            out.batch_index.insert(out.batch_index.end(), more.begin(), more.end());
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("RebatchLatents")
                               .display("Rebatch Latents")
                               .category("latent/batch")
                               .module("comfy_extras.nodes_rebatch")
                               .input_is_list()
                               .required(Input::type_of("latents", "LATENT"))
                               .required(Input::integer("batch_size", 1).min(1).max(4096))
                               .output("LATENT", "LATENT", true)};
        def.execute = [](NodeContext& ctx) {
            const List& sizes = ctx.input_list("batch_size");
            const int64_t batch_size = sizes.empty() ? 1 : sizes.front().as_int();
            if (batch_size < 1) throw input_error(ctx, "batch_size", "batch_size must be at least 1");
            try {
                ctx.set_output_list(0, rebatch_latents(ctx.input_list("latents"), batch_size));
            } catch (Error& e) {
                e.at_input("latents");
                throw;
            }
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
