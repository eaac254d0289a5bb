// families/sd1/t2i_adapter.h — T2I-Adapter networks (TencentARC; ComfyUI's t2i_adapter/adapter.py):
// a small convolutional encoder of the hint image whose feature maps are added inside the UNet
// after the last res-block of each level (ControlResiduals::input).
//
//   T2IAdapter a = T2IAdapter::load(WeightTable(file, ""));
//   std::vector<Tensor> f = a.forward(hint);   // hint [B, in_channels, 8h, 8w] in 0..1; 4 maps
//
// Two layouts, recognised by their keys:
//   full  : conv_in (3x3, (C·64)->c0), then body.N ResnetBlocks, nums_rb per level; the first block
//           of levels 1.. halves the resolution (down_opt.op strided conv, or 2x2 average pooling),
//           and convolves to the new width (in_conv) when it changes; block1 3x3 -> ReLU -> block2,
//           plus the block's input (or skep(x) when present).
//   light : body.L = extractor: [2x2 average pooling for L > 0], in_conv 1x1, body.K ResnetBlock_light
//           (block1 3x3 -> ReLU -> block2 3x3, + input), out_conv 1x1.
// Both start with PixelUnshuffle(8) of the hint. SDXL adapters (PixelUnshuffle(16)) are refused.
#pragma once

#include "blocks/layers.h"

#include <optional>
#include <vector>

namespace weft::nets {

class T2IAdapter {
public:
    /// Throws weft::Error naming the file for an unknown or SDXL layout.
    static T2IAdapter load(const WeightTable& t, ops::Compute mode = ops::Compute::F32);

    /// One feature map per level (4 for SD1 adapters: 320, 640, 1280, 1280 channels at 1, 1/2,
    /// 1/4, 1/8 of the latent's size). `hint` [B, in_channels, H, W] with H, W multiples of 8.
    std::vector<Tensor> forward(const Tensor& hint) const;

    /// Image channels the adapter takes (3, or 1 for single-channel adapters such as sketch).
    int64_t in_channels() const { return in_channels_; }
    /// The PixelUnshuffle factor (8).
    int64_t unshuffle() const { return 8; }
    bool light() const { return light_; }
    size_t levels() const { return levels_.size(); }

    struct Block {
        bool down = false;
        std::optional<Conv> down_conv;  // strided conv; average pooling when absent
        std::optional<Conv> in_conv;
        Conv block1, block2;
        std::optional<Conv> skep;
    };
    struct Level {
        bool down = false;               // light: 2x2 average pooling first
        std::optional<Conv> in_conv;     // light: 1x1
        std::vector<Block> blocks;
        std::optional<Conv> out_conv;    // light: 1x1
    };

private:
    int64_t in_channels_ = 3;
    bool light_ = false;
    std::optional<Conv> conv_in_;  // full layout only
    std::vector<Level> levels_;
};

/// PyTorch AvgPool2d(kernel 2, stride 2) with padding (H % 2, W % 2) and zero padding counted in the
/// average, as the adapters' Downsample without a convolution does.
Tensor adapter_avg_pool(const Tensor& x);

}  // namespace weft::nets
