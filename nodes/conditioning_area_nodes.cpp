// Conditioning shaping: ConditioningAverage, ConditioningConcat, ConditioningSetArea(Percentage,
// Strength), ConditioningSetMask, ConditioningSetTimestepRange. The area / mask / range extras
// they set are read by the sampler's conditioning evaluation (models/sampling/conditioning_eval.h).
#include "nodes/node_families.h"
#include "tensor/ops/ops.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

namespace {

/// node_helpers.conditioning_set_values: every entry with `values` set in a copy of its extras.
Conditioning with_values(const Conditioning& c, const Dict& values) {
    Conditioning out;
    out.reserve(c.size());
    for (const ConditioningItem& item : c) {
        auto extras = std::make_shared<Dict>(item.extras ? *item.extras : Dict{});
        for (const auto& [k, v] : values) (*extras)[k] = v;
        out.push_back(ConditioningItem{item.embedding, std::move(extras)});
    }
    return out;
}

const Conditioning& cond_input(NodeContext& ctx, const char* name) {
    const Conditioning& c = ctx.input(name).as_conditioning();
    return c;
}

const Conditioning& first_required(NodeContext& ctx, const char* name) {
    const Conditioning& c = cond_input(ctx, name);
    if (c.empty()) throw Error(ErrorCode::InvalidInputType, "the conditioning is empty").at_input(name);
    return c;
}

Tensor pooled_of(const ConditioningItem& item) {
    if (!item.extras) return {};
    auto it = item.extras->find("pooled_output");
    return it != item.extras->end() && it->second.is_tensor() ? it->second.as_tensor() : Tensor{};
}

Tensor weighted(const Tensor& a, double wa, const Tensor& b, double wb) {
    return ops::add(ops::mul(a.to(DType::F32), static_cast<float>(wa)), ops::mul(b.to(DType::F32), static_cast<float>(wb)));
}

NodeDefinition set_values_node(const char* name, const char* display, const char* category) {
    NodeDefinition d{NodeSchema(name)};
    d.schema.category(category);
    if (display) d.schema.display(display);
    d.schema.required(Input::type_of("conditioning", "CONDITIONING"));
    return d;
}

Input strength_input(const char* name = "strength") { return Input::floating(name, 1.0).min(0.0).max(10.0).step(0.01); }

}  // namespace

void register_conditioning_area_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("ConditioningAverage")};
        d.schema.category("conditioning");
        d.schema.required(Input::type_of("conditioning_to", "CONDITIONING"))
            .required(Input::type_of("conditioning_from", "CONDITIONING"))
            .required(Input::floating("conditioning_to_strength", 1.0).min(0.0).max(1.0).step(0.01))
            .output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            // Only conditioning_from's first entry is used, as in ComfyUI.
            const ConditioningItem& from = first_required(ctx, "conditioning_from")[0];
            const double s = ctx.get_float("conditioning_to_strength");
            const Tensor pooled_from = pooled_of(from);
            Conditioning out;
            for (const ConditioningItem& to : cond_input(ctx, "conditioning_to")) {
                const Tensor& t1 = to.embedding;
                // conditioning_from cut or zero-padded to t1's token count.
                Tensor t0 = from.embedding.to(DType::F32);
                if (t0.size(1) > t1.size(1)) t0 = t0.slice(1, 0, t1.size(1)).contiguous();
                if (t0.size(1) < t1.size(1)) t0 = ops::concat({t0, Tensor::zeros({t0.size(0), t1.size(1) - t0.size(1), t1.size(2)})}, 1);
                if (t0.size(0) != t1.size(0) && t0.size(0) != 1 && t1.size(0) != 1)
                    throw Error(ErrorCode::InvalidInputType, "conditioning batches " + t1.describe() + " and " + from.embedding.describe() + " do not match")
                        ;
                auto extras = std::make_shared<Dict>(to.extras ? *to.extras : Dict{});
                Tensor pooled_to = pooled_of(to);
                if (!pooled_to.defined()) pooled_to = pooled_from;
                if (pooled_from.defined() && pooled_to.defined())
                    (*extras)["pooled_output"] = Value(weighted(pooled_to, s, pooled_from, 1.0 - s));
                else if (pooled_from.defined())
                    (*extras)["pooled_output"] = Value(pooled_from);
                out.push_back(ConditioningItem{weighted(t1, s, t0, 1.0 - s), std::move(extras)});
            }
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("ConditioningConcat")};
        d.schema.display("Conditioning (Concat)").category("conditioning");
        d.schema.required(Input::type_of("conditioning_to", "CONDITIONING")).required(Input::type_of("conditioning_from", "CONDITIONING")).output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            const Tensor from = first_required(ctx, "conditioning_from")[0].embedding.to(DType::F32);
            Conditioning out;
            for (const ConditioningItem& to : cond_input(ctx, "conditioning_to")) {
                if (to.embedding.size(0) != from.size(0) || to.embedding.size(2) != from.size(2))
                    throw Error(ErrorCode::InvalidInputType, "cannot join " + to.embedding.describe() + " and " + from.describe() + " along the tokens")
                        ;
                out.push_back(ConditioningItem{ops::concat({to.embedding.to(DType::F32), from}, 1),
                                               std::make_shared<Dict>(to.extras ? *to.extras : Dict{})});
            }
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d = set_values_node("ConditioningSetArea", "Conditioning (Set Area)", "conditioning");
        d.schema.required(Input::integer("width", 64).min(64).max(16384).step(8))
            .required(Input::integer("height", 64).min(64).max(16384).step(8))
            .required(Input::integer("x", 0).min(0).max(16384).step(8))
            .required(Input::integer("y", 0).min(0).max(16384).step(8))
            .required(strength_input())
            .output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            // In latent cells of 8 pixels: [h, w, y, x].
            const List area{ctx.get_int("height") / 8, ctx.get_int("width") / 8, ctx.get_int("y") / 8, ctx.get_int("x") / 8};
            ctx.set_output(0, Value(with_values(cond_input(ctx, "conditioning"),
                                                {{"area", Value(area)}, {"strength", ctx.get_float("strength")}, {"set_area_to_bounds", false}})));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d = set_values_node("ConditioningSetAreaPercentage", "Conditioning (Set Area with Percentage)", "conditioning");
        d.schema.required(Input::floating("width", 1.0).min(0.0).max(1.0).step(0.01))
            .required(Input::floating("height", 1.0).min(0.0).max(1.0).step(0.01))
            .required(Input::floating("x", 0.0).min(0.0).max(1.0).step(0.01))
            .required(Input::floating("y", 0.0).min(0.0).max(1.0).step(0.01))
            .required(strength_input())
            .output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            const List area{Value("percentage"), ctx.get_float("height"), ctx.get_float("width"), ctx.get_float("y"), ctx.get_float("x")};
            ctx.set_output(0, Value(with_values(cond_input(ctx, "conditioning"),
                                                {{"area", Value(area)}, {"strength", ctx.get_float("strength")}, {"set_area_to_bounds", false}})));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d = set_values_node("ConditioningSetAreaStrength", nullptr, "conditioning");
        d.schema.required(strength_input()).output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, Value(with_values(cond_input(ctx, "conditioning"), {{"strength", ctx.get_float("strength")}})));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d = set_values_node("ConditioningSetMask", "Conditioning (Set Mask)", "conditioning");
        d.schema.required(Input::type_of("mask", "MASK")).required(strength_input()).required(Input::combo("set_cond_area", {"default", "mask bounds"})).output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            Tensor mask = ctx.get_tensor("mask");
            if (mask.dim() == 2) mask = mask.reshape({1, mask.size(0), mask.size(1)});
            if (mask.dim() != 3) throw Error(ErrorCode::InvalidInputType, "MASK must be [B,H,W]; got " + mask.describe()).at_input("mask");
            ctx.set_output(0, Value(with_values(cond_input(ctx, "conditioning"), {{"mask", Value(mask)},
                                                                                  {"set_area_to_bounds", ctx.get_string("set_cond_area") != "default"},
                                                                                  {"mask_strength", ctx.get_float("strength")}})));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d = set_values_node("ConditioningSetTimestepRange", nullptr, "advanced/conditioning");
        d.schema.required(Input::floating("start", 0.0).min(0.0).max(1.0).step(0.001)).required(Input::floating("end", 1.0).min(0.0).max(1.0).step(0.001)).output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, Value(with_values(cond_input(ctx, "conditioning"),
                                                {{"start_percent", ctx.get_float("start")}, {"end_percent", ctx.get_float("end")}})));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
