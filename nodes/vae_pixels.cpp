// nodes/vae_pixels.cpp — cropping, range mapping and per-sample encoding for the VAE nodes.
#include "nodes/vae_pixels.h"

#include "tensor/ops/ops.h"

#include <weft/error.h>

#include <algorithm>

namespace weft::nodes {

Tensor crop_pixels_for_vae(NodeContext& ctx, const char* input, const Tensor& pixels, int64_t f) {
    if (pixels.dim() != 4 || pixels.size(3) < 3)
        throw Error(ErrorCode::InvalidInputType, "the VAE takes an IMAGE [B,H,W,3]; got " + pixels.describe()).at_input(input);
    const int64_t h = pixels.size(1) / f * f, w = pixels.size(2) / f * f;
    if (h == 0 || w == 0)
        throw Error(ErrorCode::InvalidInputType, "the image " + pixels.describe() + " is smaller than the VAE's factor " + std::to_string(f))
            .at_input(input);
    const int64_t oy = (pixels.size(1) % f) / 2, ox = (pixels.size(2) % f) / 2;
    return pixels.slice(1, oy, oy + h).slice(2, ox, ox + w).slice(3, 0, 3).to(DType::F32).contiguous();
}

const Tensor& latent_for_vae(NodeContext& ctx, const char* input, const models::Autoencoder& vae) {
    const Tensor& z = ctx.get_latent(input).samples;
    if (z.dim() != 4 || z.size(1) != vae.vae.latent_channels())
        throw Error(ErrorCode::InvalidInputType, "the latent " + z.describe() + " does not fit this VAE (" + std::to_string(vae.vae.latent_channels()) +
                                              " channels)")
            .at_input(input);
    return z;
}

Tensor pixels_to_vae_input(const Tensor& pixels) {
    return ops::sub(ops::mul(pixels.to(DType::F32).permute({0, 3, 1, 2}).contiguous(), 2.0f), 1.0f);
}

Tensor encode_pixels(NodeContext& ctx, const char* input, const models::Autoencoder& vae, const Tensor& pixels) {
    const Tensor img = crop_pixels_for_vae(ctx, input, pixels, vae.vae.downscale());
    std::vector<Tensor> latents;
    for (int64_t i = 0; i < img.size(0); ++i) {  // one sample at a time bounds the activations' memory
        ctx.check_cancelled();
        latents.push_back(vae.vae.encode(pixels_to_vae_input(img.slice(0, i, i + 1))));
    }
    return latents.size() == 1 ? latents[0] : ops::concat(latents, 0);
}

Tensor vae_output_to_image(const Tensor& raw) {
    Tensor img = raw.to(DType::F32).permute({0, 2, 3, 1}).contiguous();
    float* p = img.data<float>();
    for (int64_t k = 0; k < img.numel(); ++k) p[k] = std::clamp((p[k] + 1.0f) * 0.5f, 0.0f, 1.0f);
    return img;
}

}  // namespace weft::nodes
