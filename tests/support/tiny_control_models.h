// tests/support/tiny_control_models.h — small random SD1-layout networks the ControlNet tests write
// as safetensors: a UNet, a ControlNet over the same encoder layout, full and light T2I-adapters.
//
//   TinyUNetSpec spec;                                   // 32 channels, levels (1, 2), attention everywhere
//   TinyWeights w(7);
//   add_unet(w, "model.diffusion_model.", spec);
//   add_controlnet(w, "control_model.", spec);
//   w.write(dir / "cn.safetensors");
#pragma once

#include "families/sd1/unet_weights.h"

#include <weft/tensor.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace weft::testing {

/// An SD1 UNet config (families/sd1/unet_weights.h) with small defaults: 32 channels, levels
/// (1, 2), one res-block per level, attention everywhere, context 24.
struct TinyUNetSpec : nets::Sd1UNetConfig {
    TinyUNetSpec() {
        model_channels = 32;
        mult = {1, 2};
        res_blocks = 1;
        attention = {true, true};
        context_dim = 24;
    }
    /// input_hint_block output widths of convs 0..6 (conv 7 maps to model_channels); SD1 uses
    /// 16, 16, 32, 32, 96, 96, 256.
    std::vector<int64_t> hint_widths = {16, 16, 32, 32, 96, 96, 256};
    int64_t hint_channels = 3;
};

/// Deterministic named random tensors: weights N(0, 1/fan_in), biases and norm offsets N(0, 0.1^2),
/// norm scales 1 + N(0, 0.1^2).
class TinyWeights {
public:
    explicit TinyWeights(uint64_t seed, DType dtype = DType::F32) : rng_(seed), dtype_(dtype) {}

    void weight(const std::string& name, Shape shape);
    void bias(const std::string& name, int64_t n);
    void linear(const std::string& name, int64_t in, int64_t out, bool with_bias = true);
    void conv(const std::string& name, int64_t in, int64_t out, int64_t k);
    void norm(const std::string& name, int64_t c);
    void add(const std::string& name, Tensor t) { tensors.emplace_back(name, std::move(t)); }
    /// Every tensor of a weight table in its order: weights as weight(), biases as bias(), norm
    /// scales as norm()'s.
    void fill(const nets::WeightLayout& layout);
    void write(const std::filesystem::path& path) const;

    std::vector<std::pair<std::string, Tensor>> tensors;

private:
    float normal();
    Tensor values(const Shape& shape, float scale, float offset);
    std::mt19937_64 rng_;
    DType dtype_;
};

/// The UNet (time_embed, input_blocks, middle_block, output_blocks, out) under `prefix`, from
/// the SD1 weight table.
void add_unet(TinyWeights& w, const std::string& prefix, const TinyUNetSpec& spec);
/// A ControlNet for a UNet of `spec`: its encoder plus input_hint_block, zero_convs, middle_block_out.
void add_controlnet(TinyWeights& w, const std::string& prefix, const TinyUNetSpec& spec);
/// A full T2I-adapter (conv_in, body.N with in_conv when the width changes; `conv_down` adds
/// down_opt.op strided convs, else average pooling) with widths c, 2c, 4c, 4c, `per_level` blocks
/// per level and `cin` = 64 x image channels.
void add_t2i_full(TinyWeights& w, int64_t c, int64_t per_level, int64_t cin, bool conv_down, int64_t ksize = 3);
/// A light T2I-adapter: levels of `widths` (inter width = width / 4), `per_level` light blocks each.
void add_t2i_light(TinyWeights& w, const std::vector<int64_t>& widths, int64_t per_level, int64_t cin);

/// The input-block output widths of a UNet of `spec` (what the zero convs see), in order.
std::vector<int64_t> input_block_widths(const TinyUNetSpec& spec);

}  // namespace weft::testing
