// families/sd1/unet_weights.h — the SD1 UNet's weight-name table: its config, read from a file's
// keys and shapes, and the keys and shapes that config implies (the ControlNet's too, whose
// encoder has the UNet's layout).
//
//   Sd1UNetConfig c = read_unet_config(WeightTable(file, "model.diffusion_model."));
//   unet_weights(c).check(table);                   // names the key and both shapes on a mismatch
//
// This is the one place the key layout is written: the loader checks files against it, the demo
// checkpoint and the test models are written from it.
#pragma once

#include "blocks/weight_layout.h"
#include "blocks/weight_table.h"

#include <cstdint>
#include <string>
#include <vector>

namespace weft::nets {

/// openaimodel's UNetModel as SD1.x uses it (transformer depth 1, conv proj_in/proj_out, GEGLU
/// feed-forward, time embedding 4 x model_channels). Defaults: SD1.5.
struct Sd1UNetConfig {
    int64_t in_channels = 4;
    int64_t out_channels = 4;
    int64_t model_channels = 320;
    std::vector<int64_t> mult = {1, 2, 4, 4};             // channel multiplier per level
    int64_t res_blocks = 2;                               // res-blocks per level (input side)
    std::vector<bool> attention = {true, true, true, false};  // a SpatialTransformer after each res-block of the level
    bool middle_attention = true;                         // middle block res+attn+res, else res+res
    int64_t context_dim = 768;
};

/// The config of the UNet under `t`, read from key names and shapes (ComfyUI's
/// detect_unet_config does the same). Throws weft::Error naming the file when there is no
/// `input_blocks.0.0.weight` convolution or no level.
Sd1UNetConfig read_unet_config(const WeightTable& t);

/// time_embed, input_blocks and middle_block under `prefix`; returns each input block's output width.
std::vector<int64_t> add_unet_encoder(WeightLayout& l, const std::string& prefix, const Sd1UNetConfig& c);
/// The whole UNet under `prefix`: the encoder, output_blocks and out.
WeightLayout unet_weights(const Sd1UNetConfig& c, const std::string& prefix = "");

/// The ControlNet's own parts: input_hint_block convs 0, 2, .., 14 with widths `widths` then
/// model_channels (SD1: 16, 16, 32, 32, 96, 96, 256), from `channels` (3, RGB).
struct Sd1ControlHint {
    std::vector<int64_t> widths = {16, 16, 32, 32, 96, 96, 256};
    int64_t channels = 3;
};
/// A ControlNet for a UNet of `c` under `prefix`: its encoder, input_hint_block, one 1x1 zero
/// conv per input block and middle_block_out.
WeightLayout controlnet_weights(const Sd1UNetConfig& c, const Sd1ControlHint& hint, const std::string& prefix = "");

}  // namespace weft::nets
