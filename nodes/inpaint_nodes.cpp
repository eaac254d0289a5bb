// Inpainting: SetLatentNoiseMask, VAEEncodeForInpaint, InpaintModelConditioning. The noise mask
// they put on the LATENT is applied by the sampler (models/sampling/ksampler.h inpaint_denoiser);
// the concat extras feed inpainting UNets (models/sampling/conditioning_eval.h).
#include "families/sd1/checkpoint.h"
#include "nodes/node_families.h"
#include "nodes/vae_pixels.h"
#include "tensor/ops/ops.h"

#include <weft/node.h>
#include <weft/registry.h>

#include <cmath>

namespace weft::nodes {

namespace {

/// A MASK ([H,W] or [B,H,W]) as [B,1,H,W] F32.
Tensor mask_b1hw(NodeContext& ctx, const char* input) {
    const Tensor& m = ctx.get_tensor(input);
    if (m.dim() < 2 || m.dim() > 4)
        throw Error(ErrorCode::InvalidInputType, "MASK must be [B,H,W]; got " + m.describe()).at_input(input);
    return m.to(DType::F32).contiguous().reshape({-1, 1, m.size(-2), m.size(-1)});
}

/// The mask resized bilinearly to h x w (F.interpolate, as the nodes do even at the same size).
Tensor mask_to(const Tensor& m, int64_t h, int64_t w) {
    return m.size(2) == h && m.size(3) == w ? m : ops::upsample_bilinear(m, h, w);
}

Tensor rounded(const Tensor& t) {
    Tensor r = t.to(DType::F32).clone();
    for (int64_t i = 0; i < r.numel(); ++i) r.data<float>()[i] = std::nearbyint(r.data<float>()[i]);
    return r;
}

/// Pixels under the (rounded) mask set to 0.5 grey; `mask` [Bm,1,H,W] with Bm 1 or B.
Tensor grey_out(NodeContext& ctx, const Tensor& pixels, const Tensor& mask) {
    const int64_t b = pixels.size(0), h = pixels.size(1), w = pixels.size(2), c = pixels.size(3);
    const int64_t bm = mask.size(0);
    if (bm != 1 && bm != b)
        throw Error(ErrorCode::InvalidInputType, "a mask batch of " + std::to_string(bm) + " does not fit " + std::to_string(b) + " images")
            .at_input("mask");
    Tensor out = pixels.to(DType::F32).clone();
    const Tensor mc = mask.contiguous();
    for (int64_t i = 0; i < b; ++i)
        for (int64_t p = 0; p < h * w; ++p) {
            const float keep = 1.0f - std::nearbyint(mc.data<float>()[(bm == 1 ? 0 : i) * h * w + p]);
            for (int64_t ch = 0; ch < std::min<int64_t>(c, 3); ++ch) {
                float& v = out.data<float>()[(i * h * w + p) * c + ch];
                v = (v - 0.5f) * keep + 0.5f;
            }
        }
    return out;
}

/// Pixels and mask cropped (centred) to multiples of f, as the inpainting nodes do.
std::pair<Tensor, Tensor> crop_both(const Tensor& pixels, const Tensor& mask, int64_t f) {
    const int64_t h = pixels.size(1) / f * f, w = pixels.size(2) / f * f;
    if (h == pixels.size(1) && w == pixels.size(2)) return {pixels, mask};
    const int64_t oy = (pixels.size(1) % f) / 2, ox = (pixels.size(2) % f) / 2;
    return {pixels.slice(1, oy, oy + h).slice(2, ox, ox + w).contiguous(), mask.slice(2, oy, oy + h).slice(3, ox, ox + w).contiguous()};
}

/// The rounded mask grown by a g x g box (conv2d with ones, padding ceil((g-1)/2), clamped to 1).
Tensor grow(const Tensor& mask, int64_t g) {
    const Tensor m = rounded(mask);
    if (g == 0) return m;
    const int64_t b = m.size(0), h = m.size(2), w = m.size(3), pad = (g - 1 + 1) / 2;
    Tensor out = Tensor::zeros(m.shape());
    for (int64_t i = 0; i < b; ++i)
        for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < w; ++x) {
                float s = 0;
                for (int64_t ky = 0; ky < g; ++ky) {
                    const int64_t sy = y + ky - pad;
                    if (sy < 0 || sy >= h) continue;
                    for (int64_t kx = 0; kx < g; ++kx) {
                        const int64_t sx = x + kx - pad;
                        if (sx >= 0 && sx < w) s += m.data<float>()[(i * h + sy) * w + sx];
                    }
                }
                out.data<float>()[(i * h + y) * w + x] = std::min(1.0f, s);
            }
    return out;
}

}  // namespace

void register_inpaint_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("SetLatentNoiseMask")};
        d.schema.display("Set Latent Noise Mask").category("latent/inpaint");
        d.schema.required(Input::type_of("samples", "LATENT")).required(Input::type_of("mask", "MASK")).output("LATENT");
        d.execute = [](NodeContext& ctx) {
            Latent out = ctx.get_latent("samples");
            out.noise_mask = mask_b1hw(ctx, "mask");
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("VAEEncodeForInpaint")};
        d.schema.display("VAE Encode (for Inpainting)").category("latent/inpaint").exclusive();
        d.schema.required(Input::type_of("pixels", "IMAGE"))
            .required(Input::type_of("vae", "VAE"))
            .required(Input::type_of("mask", "MASK"))
            .required(Input::integer("grow_mask_by", 6).min(0).max(64).step(1))
            .output("LATENT");
        d.execute = [](NodeContext& ctx) {
            auto vae = ctx.get_object<models::Autoencoder>("vae");
            const Tensor& pixels = ctx.get_tensor("pixels");
            crop_pixels_for_vae(ctx, "pixels", pixels, vae->vae.downscale());  // validates the image
            const Tensor mask = mask_to(mask_b1hw(ctx, "mask"), pixels.size(1), pixels.size(2));
            auto [px, m] = crop_both(pixels, mask, vae->vae.downscale());
            Latent out;
            out.noise_mask = grow(m, ctx.get_int("grow_mask_by"));
            out.samples = encode_pixels(ctx, "pixels", *vae, grey_out(ctx, px, m));
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("InpaintModelConditioning")};
        d.schema.category("conditioning/inpaint").exclusive();
        d.schema.required(Input::type_of("positive", "CONDITIONING"))
            .required(Input::type_of("negative", "CONDITIONING"))
            .required(Input::type_of("vae", "VAE"))
            .required(Input::type_of("pixels", "IMAGE"))
            .required(Input::type_of("mask", "MASK"))
            .required(Input::boolean("noise_mask", true))
            .output("CONDITIONING", "positive")
            .output("CONDITIONING", "negative")
            .output("LATENT", "latent");
        d.execute = [](NodeContext& ctx) {
            auto vae = ctx.get_object<models::Autoencoder>("vae");
            const Tensor& pixels = ctx.get_tensor("pixels");
            crop_pixels_for_vae(ctx, "pixels", pixels, vae->vae.downscale());
            const Tensor mask = mask_to(mask_b1hw(ctx, "mask"), pixels.size(1), pixels.size(2));
            auto [px, m] = crop_both(pixels, mask, 8);  // ComfyUI crops to multiples of 8 here whatever the VAE
            const Tensor concat_latent = encode_pixels(ctx, "pixels", *vae, grey_out(ctx, px, m));
            Latent out;
            out.samples = encode_pixels(ctx, "pixels", *vae, pixels);
            if (ctx.get_bool("noise_mask")) out.noise_mask = m;
            for (int k = 0; k < 2; ++k) {
                Conditioning c;
                for (const ConditioningItem& item : ctx.input(k == 0 ? "positive" : "negative").as_conditioning()) {
                    auto extras = std::make_shared<Dict>(item.extras ? *item.extras : Dict{});
                    (*extras)["concat_latent_image"] = Value(concat_latent);
                    (*extras)["concat_mask"] = Value(m);
                    c.push_back(ConditioningItem{item.embedding, std::move(extras)});
                }
                ctx.set_output(k, Value(std::move(c)));
            }
            ctx.set_output(2, Value(std::move(out)));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
