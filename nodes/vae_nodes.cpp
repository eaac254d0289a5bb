// VAEDecode and VAEEncode: latents (raw VAE scale) <-> IMAGE [B,H,W,C] in 0..1.
#include "families/sd1/checkpoint.h"
#include "nodes/node_families.h"
#include "nodes/vae_pixels.h"
#include "tensor/ops/ops.h"

#include <weft/node.h>
#include <weft/registry.h>

#include <algorithm>

namespace weft::nodes {

void register_vae_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("VAEDecode")};
        d.schema.display("VAE Decode").category("latent").exclusive();
        d.schema.required(Input::type_of("samples", "LATENT")).required(Input::type_of("vae", "VAE")).output("IMAGE");
        d.execute = [](NodeContext& ctx) {
            auto vae = ctx.get_object<models::Autoencoder>("vae");
            const Tensor& z = latent_for_vae(ctx, "samples", *vae);
            std::vector<Tensor> images;
            for (int64_t i = 0; i < z.size(0); ++i) {  // one sample at a time bounds the activations' memory
                ctx.check_cancelled();
                Tensor raw = vae->vae.decode(z.slice(0, i, i + 1).to(DType::F32).contiguous());
                Tensor img = raw.permute({0, 2, 3, 1}).contiguous();
                float* p = img.data<float>();
                for (int64_t k = 0; k < img.numel(); ++k) p[k] = std::clamp((p[k] + 1.0f) * 0.5f, 0.0f, 1.0f);
                images.push_back(img);
            }
            ctx.set_output(0, Value(images.size() == 1 ? images[0] : ops::concat(images, 0)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("VAEEncode")};
        d.schema.display("VAE Encode").category("latent").exclusive();
        d.schema.required(Input::type_of("pixels", "IMAGE")).required(Input::type_of("vae", "VAE")).output("LATENT");
        d.execute = [](NodeContext& ctx) {
            auto vae = ctx.get_object<models::Autoencoder>("vae");
            const Tensor& pixels = ctx.get_tensor("pixels");
            const int64_t f = vae->vae.downscale();
            if (pixels.dim() != 4 || pixels.size(3) < 3)
                throw Error(ErrorCode::InvalidInputType, "VAEEncode takes an IMAGE [B,H,W,3]; got " + pixels.describe()).at_input("pixels");
            // Crop each side to a multiple of the VAE's factor, centred, as ComfyUI does.
            const int64_t h = pixels.size(1) / f * f, w = pixels.size(2) / f * f;
            if (h == 0 || w == 0)
                throw Error(ErrorCode::InvalidInputType, "the image " + pixels.describe() + " is smaller than the VAE's factor " + std::to_string(f))
                    .at_input("pixels");
            const int64_t oy = (pixels.size(1) % f) / 2, ox = (pixels.size(2) % f) / 2;
            Tensor img = pixels.slice(1, oy, oy + h).slice(2, ox, ox + w).slice(3, 0, 3).to(DType::F32);
            std::vector<Tensor> latents;
            for (int64_t i = 0; i < img.size(0); ++i) {
                ctx.check_cancelled();
                Tensor x = ops::sub(ops::mul(img.slice(0, i, i + 1).permute({0, 3, 1, 2}).contiguous(), 2.0f), 1.0f);
                latents.push_back(vae->vae.encode(x));
            }
            Latent out;
            out.samples = latents.size() == 1 ? latents[0] : ops::concat(latents, 0);
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
