#include "families/sd1/controlnet.h"

#include <weft/error.h>

namespace weft::nets {

namespace {

bool has_input_block(const WeightTable& t, int64_t n) {
    const std::string p = "input_blocks." + std::to_string(n) + ".0.";
    return t.has(p + "weight") || t.has(p + "in_layers.0.weight") || t.has(p + "op.weight");
}

[[noreturn]] void fail(const WeightTable& t, const std::string& message) {
    throw Error(ErrorCode::ModelLoadFailed, message, t.path()).at_path(t.path());
}

// input_hint_block is a fixed chain of 8 convolutions (keys 0, 2, ..., 14); the 3rd, 5th and 7th
// halve the resolution so that an image 8x the latent lands on the latent grid.
constexpr int kHintConvs = 8;
bool hint_conv_strided(int i) { return i == 2 || i == 4 || i == 6; }

}  // namespace

ControlNet ControlNet::load(const WeightTable& t, const UNetOptions& o) {
    ControlNet cn;
    const Tensor& first = t.get("input_blocks.0.0.weight");
    if (first.dim() != 4) fail(t, "input_blocks.0.0.weight is not a convolution");
    cn.in_channels_ = first.size(1);
    cn.model_channels_ = first.size(0);
    const int64_t emb_dim = t.get("time_embed.0.weight").size(0);
    cn.time1_ = Linear::load(t, "time_embed.0", cn.model_channels_, emb_dim, true, o.mode);
    cn.time2_ = Linear::load(t, "time_embed.2", emb_dim, emb_dim, true, o.mode);

    const Tensor& hint0 = t.get("input_hint_block.0.weight");
    if (hint0.dim() != 4) fail(t, "input_hint_block.0.weight is not a convolution");
    cn.hint_channels_ = hint0.size(1);
    int64_t channels = cn.hint_channels_;
    for (int i = 0; i < kHintConvs; ++i) {
        const std::string name = "input_hint_block." + std::to_string(2 * i);
        const int64_t out = t.get(name + ".weight").size(0);
        const int64_t s = hint_conv_strided(i) ? 2 : 1;
        cn.hint_.push_back(Conv::load(t, name, channels, out, 3, {.stride = {s, s}, .padding = {1, 1}}, o.mode));
        channels = out;
    }
    if (t.has("input_hint_block." + std::to_string(2 * kHintConvs) + ".weight")) fail(t, "input_hint_block has more than 8 convolutions");
    if (channels != cn.model_channels_)
        fail(t, "input_hint_block ends with " + std::to_string(channels) + " channels; input_blocks.0 has " + std::to_string(cn.model_channels_));

    channels = cn.in_channels_;
    for (int64_t n = 0; has_input_block(t, n); ++n) {
        const std::string name = "input_blocks." + std::to_string(n);
        cn.input_.push_back(load_unet_block(t.sub(name), channels, emb_dim, o));
        cn.zero_.push_back(Conv::load(t, "zero_convs." + std::to_string(n) + ".0", channels, channels, 1, {}, o.mode));
        if (t.has(name + ".1.transformer_blocks.0.attn2.to_k.weight") && cn.context_dim_ == 0)
            cn.context_dim_ = t.get(name + ".1.transformer_blocks.0.attn2.to_k.weight").size(1);
    }
    if (t.has("zero_convs." + std::to_string(cn.input_.size()) + ".0.weight"))
        fail(t, "the ControlNet has more zero_convs than input blocks (" + std::to_string(cn.input_.size()) + ")");
    cn.middle_ = load_unet_block(t.sub("middle_block"), channels, emb_dim, o);
    if (cn.middle_.empty()) fail(t, "tensor '" + t.prefix() + "middle_block.0.in_layers.0.weight' is missing");
    cn.middle_out_ = Conv::load(t, "middle_block_out.0", channels, channels, 1, {}, o.mode);
    if (cn.context_dim_ == 0 && t.has("middle_block.1.transformer_blocks.0.attn2.to_k.weight"))
        cn.context_dim_ = t.get("middle_block.1.transformer_blocks.0.attn2.to_k.weight").size(1);
    return cn;
}

ControlResiduals ControlNet::forward(const Tensor& x, const Tensor& hint, const Tensor& timesteps, const Tensor& context) const {
    if (x.dim() != 4 || x.size(1) != in_channels_)
        throw Error(ErrorCode::InvalidInputType, "the ControlNet takes a latent with " + std::to_string(in_channels_) + " channels; got " + x.describe());
    if (hint.dim() != 4 || (hint.size(0) != x.size(0) && hint.size(0) != 1) || hint.size(1) != hint_channels_)
        throw Error(ErrorCode::InvalidInputType, "the ControlNet takes a hint of " + std::to_string(x.size(0)) + " images with " +
                                              std::to_string(hint_channels_) + " channels; got " + hint.describe());
    Tensor emb_silu = ops::silu(time2_(ops::silu(time1_(timestep_embedding(timesteps, model_channels_)))));

    Tensor guided = hint.to(DType::F32).contiguous();
    for (size_t i = 0; i < hint_.size(); ++i) {
        guided = hint_[i](guided);
        if (i + 1 < hint_.size()) guided = ops::silu(guided);
    }

    ControlResiduals out;
    Tensor h = x;
    for (size_t i = 0; i < input_.size(); ++i) {
        h = run_unet_block(input_[i], h, emb_silu, context, nullptr);
        if (i == 0) {
            // The hint enters once, right after the first convolution.
            if (guided.size(1) != h.size(1) || guided.size(2) != h.size(2) || guided.size(3) != h.size(3))
                throw Error(ErrorCode::InvalidInputType, "the ControlNet hint maps to " + guided.describe() + " but the latent to " + h.describe() +
                                                      "; the hint must be 8x the latent's size");
            h = ops::add(h, guided);  // a hint batch of one broadcasts
        }
        out.skip.push_back(zero_[i](h));
    }
    h = run_unet_block(middle_, h, emb_silu, context, nullptr);
    out.middle = middle_out_(h);
    return out;
}

}  // namespace weft::nets
