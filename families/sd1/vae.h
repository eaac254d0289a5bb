// families/sd1/vae.h — the SD AutoencoderKL (encoder, decoder, mid attention), structure from keys.
//
//   Vae vae = Vae::load(WeightTable(file, "first_stage_model."));
//   Tensor img = vae.decode(latent);    // [B,4,h,w] raw VAE scale -> [B,3,h*f,w*f] in about -1..1
//   Tensor z = vae.encode(pixels);      // [B,3,H,W] in -1..1 -> posterior mean [B,4,H/f,W/f]
//
// Heavy: call from one thread at a time.
#pragma once

#include "blocks/layers.h"

#include <vector>

namespace weft::nets {

struct VaeResBlock {
    Norm norm1, norm2;
    Conv conv1, conv2;
    std::optional<Conv> shortcut;
    int64_t out_channels = 0;

    static VaeResBlock load(const WeightTable& t, int64_t in, ops::Compute mode);
    /// x F32 or BF16; the result (and the maps inside) in `act`.
    Tensor forward(Tensor x, DType act = DType::F32) const;
};

struct VaeAttention {
    Norm norm;
    Linear q, k, v, proj_out;
    ops::Compute mode = ops::Compute::F32;

    static VaeAttention load(const WeightTable& t, int64_t channels, ops::Compute mode);
    Tensor forward(const Tensor& x) const;
};

class Vae {
public:
    static Vae load(const WeightTable& t, ops::Compute mode = ops::Compute::F32);

    /// z [N, C, h, w] -> F32 pixels in [-1, 1]-ish. In BF16 mode the decoder keeps its maps in BF16
    /// between layers (half the memory: at 512x512 they are 128-256 MiB in F32).
    Tensor decode(const Tensor& z) const;
    Tensor encode(const Tensor& x) const;

    bool has_encoder() const { return has_encoder_; }
    bool has_decoder() const { return has_decoder_; }
    /// Spatial factor between pixels and latent (8 for SD).
    int64_t downscale() const { return int64_t{1} << (levels_ - 1); }
    int64_t latent_channels() const { return latent_channels_; }

private:
    struct Level {
        std::vector<VaeResBlock> blocks;
        std::optional<Conv> resample;
    };
    struct Half {
        Conv conv_in, conv_out;
        std::vector<Level> levels;
        VaeResBlock mid1, mid2;
        VaeAttention attn;
        Norm norm_out;
    };
    static Half load_half(const WeightTable& t, bool encoder, ops::Compute mode, int64_t& levels);

    Half enc_, dec_;
    std::optional<Conv> quant_, post_quant_;
    bool has_encoder_ = false, has_decoder_ = false;
    DType decoder_maps_ = DType::F32;
    int64_t levels_ = 4, latent_channels_ = 4;
};

}  // namespace weft::nets
