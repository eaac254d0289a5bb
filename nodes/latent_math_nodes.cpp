// LATENT arithmetic nodes (comfy_extras.nodes_latent): LatentAdd, LatentSubtract, LatentMultiply,
// LatentInterpolate. The second latent is resized and repeated to the first one's shape.
#include "nodes/latent_helpers.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"

#include <weft/node.h>

#include <cmath>
#include <limits>

namespace weft::nodes {

namespace {

NodeSchema math_schema(const char* name) {
    return NodeSchema(name).category("latent/advanced").module("comfy_extras.nodes_latent");
}

// samples1 op samples2, with samples2 brought to samples1's shape.
template <class Op>
void binary(NodeContext& ctx, Op op) {
    const Latent& a = ctx.get_latent("samples1");
    const Tensor s1 = latent_samples(a.samples, "samples1");
    Tensor s2;
    try {
        s2 = reshape_latent_to(s1, latent_samples(ctx.get_latent("samples2").samples, "samples2"));
    } catch (Error& e) {
        e.at_input("samples2");
        throw;
    }
    if (s2.shape() != s1.shape())
        throw input_error(ctx, "samples2", "latents of different channel counts: " + s1.describe() + " and " + s2.describe());
    Tensor out = Tensor::zeros(s1.shape());
    const float* x = s1.data<float>();
    const float* y = s2.data<float>();
    float* o = out.data<float>();
    for (int64_t i = 0; i < out.numel(); ++i) o[i] = op(x[i], y[i]);
    Latent l = a;
    l.samples = std::move(out);
    ctx.set_output(0, Value(std::move(l)));
}

float nan_to_num(float v) {
    if (std::isnan(v)) return 0.0f;
    if (std::isinf(v)) return v > 0 ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
    return v;
}

}  // namespace

void register_latent_math_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{math_schema("LatentAdd").required(Input::type_of("samples1", "LATENT")).required(Input::type_of("samples2", "LATENT")).output("LATENT")};
        def.execute = [](NodeContext& ctx) { binary(ctx, [](float a, float b) { return a + b; }); };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{math_schema("LatentSubtract").required(Input::type_of("samples1", "LATENT")).required(Input::type_of("samples2", "LATENT")).output("LATENT")};
        def.execute = [](NodeContext& ctx) { binary(ctx, [](float a, float b) { return a - b; }); };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{math_schema("LatentMultiply")
                               .required(Input::type_of("samples", "LATENT"))
                               .required(Input::floating("multiplier", 1.0).min(-10.0).max(10.0).step(0.01))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            const Latent& in = ctx.get_latent("samples");
            const Tensor s = latent_samples(in.samples);
            const float k = float(ctx.get_float("multiplier"));
            Tensor out = Tensor::zeros(s.shape());
            const float* x = s.data<float>();
            float* o = out.data<float>();
            for (int64_t i = 0; i < out.numel(); ++i) o[i] = x[i] * k;
            Latent l = in;
            l.samples = std::move(out);
            ctx.set_output(0, Value(std::move(l)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{math_schema("LatentInterpolate")
                               .required(Input::type_of("samples1", "LATENT"))
                               .required(Input::type_of("samples2", "LATENT"))
                               .required(Input::floating("ratio", 1.0).min(0.0).max(1.0).step(0.01))
                               .output("LATENT")};
        def.execute = [](NodeContext& ctx) {
            // Per pixel: the channel vectors are normalised, mixed by ratio, renormalised, and given
            // the mixed length. (ComfyUI's broadcasting makes this per pixel for a batch of one; it is
            // applied per pixel and item here for every batch size.)
            const Latent& a = ctx.get_latent("samples1");
            const Tensor s1 = latent_samples(a.samples, "samples1");
            const Tensor s2 = reshape_latent_to(s1, latent_samples(ctx.get_latent("samples2").samples, "samples2"));
            if (s2.shape() != s1.shape())
                throw input_error(ctx, "samples2", "latents of different channel counts: " + s1.describe() + " and " + s2.describe());
            const float ratio = float(ctx.get_float("ratio")), rest = float(1.0 - ctx.get_float("ratio"));
            const int64_t B = s1.size(0), C = s1.size(1), HW = s1.size(2) * s1.size(3);
            Tensor out = Tensor::zeros(s1.shape());
            const float* x = s1.data<float>();
            const float* y = s2.data<float>();
            float* o = out.data<float>();
            std::vector<float> t(static_cast<size_t>(C));
            for (int64_t b = 0; b < B; ++b)
                for (int64_t p = 0; p < HW; ++p) {
                    auto at = [&](int64_t c) { return (b * C + c) * HW + p; };
                    float m1 = 0, m2 = 0, mt = 0;
                    for (int64_t c = 0; c < C; ++c) {
                        m1 += x[at(c)] * x[at(c)];
                        m2 += y[at(c)] * y[at(c)];
                    }
                    m1 = std::sqrt(m1);
                    m2 = std::sqrt(m2);
                    for (int64_t c = 0; c < C; ++c) {
                        t[size_t(c)] = nan_to_num(x[at(c)] / m1) * ratio + nan_to_num(y[at(c)] / m2) * rest;
                        mt += t[size_t(c)] * t[size_t(c)];
                    }
                    mt = std::sqrt(mt);
                    const float len = m1 * ratio + m2 * rest;
                    for (int64_t c = 0; c < C; ++c) o[at(c)] = nan_to_num(t[size_t(c)] / mt) * len;
                }
            Latent l = a;
            l.samples = std::move(out);
            ctx.set_output(0, Value(std::move(l)));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
