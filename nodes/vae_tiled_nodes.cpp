// VAEDecodeTiled and VAEEncodeTiled: the VAE over overlapping tiles, three tile shapes averaged
// (models/upscale/vae_tiling.h). The temporal inputs only matter to video VAEs and are ignored.
#include "families/sd1/checkpoint.h"
#include "families/sd1/vae_tiling.h"
#include "nodes/node_families.h"
#include "nodes/vae_pixels.h"
#include "tensor/ops/ops.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

void register_vae_tiled_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("VAEDecodeTiled")};
        d.schema.display("VAE Decode (Tiled)").category("_for_testing").exclusive();
        d.schema.required(Input::type_of("samples", "LATENT"))
            .required(Input::type_of("vae", "VAE"))
            .required(Input::integer("tile_size", 512).min(64).max(4096).step(32))
            .required(Input::integer("overlap", 64).min(0).max(4096).step(32))
            .required(Input::integer("temporal_size", 64).min(8).max(4096).step(4))
            .required(Input::integer("temporal_overlap", 8).min(4).max(4096).step(4))
            .output("IMAGE");
        d.execute = [](NodeContext& ctx) {
            auto vae = ctx.get_object<models::Autoencoder>("vae");
            const Tensor& z = latent_for_vae(ctx, "samples", *vae);
            const int64_t tile = ctx.get_int("tile_size");
            int64_t overlap = ctx.get_int("overlap");
            if (tile < overlap * 4) overlap = tile / 4;
            const int64_t f = vae->vae.downscale();
            Tensor raw;
            {
                raw = models::vae_decode_tiled(vae->vae, z.to(DType::F32).contiguous(), tile / f, tile / f, overlap / f,
                                               [&] { ctx.check_cancelled(); });
            }
            ctx.set_output(0, Value(vae_output_to_image(raw)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("VAEEncodeTiled")};
        d.schema.display("VAE Encode (Tiled)").category("_for_testing").exclusive();
        d.schema.required(Input::type_of("pixels", "IMAGE"))
            .required(Input::type_of("vae", "VAE"))
            .required(Input::integer("tile_size", 512).min(64).max(4096).step(64))
            .required(Input::integer("overlap", 64).min(0).max(4096).step(32))
            .required(Input::integer("temporal_size", 64).min(8).max(4096).step(4))
            .required(Input::integer("temporal_overlap", 8).min(4).max(4096).step(4))
            .output("LATENT");
        d.execute = [](NodeContext& ctx) {
            auto vae = ctx.get_object<models::Autoencoder>("vae");
            const Tensor img = crop_pixels_for_vae(ctx, "pixels", ctx.get_tensor("pixels"), vae->vae.downscale());
            const int64_t tile = ctx.get_int("tile_size");
            Latent out;
            {
                out.samples = models::vae_encode_tiled(vae->vae, pixels_to_vae_input(img), tile, tile, ctx.get_int("overlap"), [&] { ctx.check_cancelled(); });
            }
            ctx.set_output(0, Value(std::move(out)));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
