#include "families/sd1/unet.h"

#include <weft/error.h>

#include <cmath>
#include <variant>

namespace weft::nets {

struct PlainConv {  // input_blocks.0.0
    Conv conv;
};
struct Downsample {
    Conv conv;
};
struct Upsample {
    Conv conv;
};

struct UNet::Layer {
    std::variant<ResBlock, SpatialTransformer, PlainConv, Downsample, Upsample> op;
};

ResBlock ResBlock::load(const WeightTable& t, int64_t in, int64_t emb_dim, ops::Compute mode) {
    ResBlock r;
    const int64_t out = t.get("out_layers.3.weight").size(0);
    r.out_channels = out;
    r.in_norm = Norm::load(t, "in_layers.0", in, 1e-5f);
    r.in_conv = Conv::load(t, "in_layers.2", in, out, 3, {.padding = {1, 1}}, mode);
    r.emb = Linear::load(t, "emb_layers.1", emb_dim, out, true, mode);
    r.out_norm = Norm::load(t, "out_layers.0", out, 1e-5f);
    r.out_conv = Conv::load(t, "out_layers.3", out, out, 3, {.padding = {1, 1}}, mode);
    if (t.has("skip_connection.weight")) r.skip = Conv::load(t, "skip_connection", in, out, 1, {}, mode);
    return r;
}

Tensor ResBlock::forward(const Tensor& x, const Tensor& emb_silu) const {
    Tensor h = in_conv(in_norm.group_silu(x));
    Tensor e = emb(emb_silu);  // [B, out]
    h = ops::add(h, e.reshape({e.size(0), e.size(1), 1, 1}));
    h = out_conv(out_norm.group_silu(h));
    return ops::add(skip ? (*skip)(x) : x, h);
}

void ResBlock::visit_layers(const std::string& prefix, const LayerVisitor& v) {
    v(prefix + "in_layers.2", in_conv);
    v(prefix + "emb_layers.1", emb);
    v(prefix + "out_layers.3", out_conv);
    if (skip) v(prefix + "skip_connection", *skip);
}

namespace {

/// Copies each layer of `block` (copy-on-write for the caller's UNet) and visits it.
void visit_block(std::vector<std::shared_ptr<UNet::Layer>>& block, const std::string& prefix, const LayerVisitor& v) {
    for (size_t k = 0; k < block.size(); ++k) {
        auto copy = std::make_shared<UNet::Layer>(*block[k]);
        const std::string p = prefix + std::to_string(k) + ".";
        if (auto* r = std::get_if<ResBlock>(&copy->op)) r->visit_layers(p, v);
        else if (auto* s = std::get_if<SpatialTransformer>(&copy->op)) s->visit_layers(p, v);
        else if (auto* c = std::get_if<PlainConv>(&copy->op)) v(prefix + std::to_string(k), c->conv);
        else if (auto* d = std::get_if<Downsample>(&copy->op)) v(p + "op", d->conv);
        else if (auto* u = std::get_if<Upsample>(&copy->op)) v(p + "conv", u->conv);
        block[k] = std::move(copy);
    }
}

}  // namespace

void UNet::visit_layers(const LayerVisitor& v) {
    v("time_embed.0", time1_);
    v("time_embed.2", time2_);
    for (size_t n = 0; n < input_.size(); ++n) visit_block(input_[n], "input_blocks." + std::to_string(n) + ".", v);
    visit_block(middle_, "middle_block.", v);
    for (size_t n = 0; n < output_.size(); ++n) visit_block(output_[n], "output_blocks." + std::to_string(n) + ".", v);
    v("out.2", out_conv_);
}

Tensor timestep_embedding(const Tensor& timesteps, int64_t dim) {
    const int64_t b = timesteps.numel(), half = dim / 2;
    Tensor t = timesteps.to(DType::F32).contiguous();
    Tensor out = Tensor::zeros({b, dim});
    for (int64_t i = 0; i < b; ++i) {
        const float ti = t.data<float>()[i];
        float* row = out.data<float>() + i * dim;
        for (int64_t j = 0; j < half; ++j) {
            const float freq = std::exp(-std::log(10000.0f) * static_cast<float>(j) / static_cast<float>(half));
            row[j] = std::cos(ti * freq);
            row[half + j] = std::sin(ti * freq);
        }
    }
    return out;
}

UNetBlock load_unet_block(const WeightTable& t, int64_t& channels, int64_t emb_dim, const UNetOptions& o) {
    std::vector<std::shared_ptr<UNet::Layer>> layers;
    for (int64_t k = 0;; ++k) {
        const std::string p = std::to_string(k);
        if (t.has(p + ".in_layers.0.weight")) {
            ResBlock r = ResBlock::load(t.sub(p), channels, emb_dim, o.mode);
            channels = r.out_channels;
            layers.push_back(std::make_shared<UNet::Layer>(UNet::Layer{std::move(r)}));
        } else if (t.has(p + ".proj_in.weight")) {
            layers.push_back(std::make_shared<UNet::Layer>(UNet::Layer{SpatialTransformer::load(t.sub(p), channels, o.heads, o.mode)}));
        } else if (t.has(p + ".op.weight")) {
            layers.push_back(std::make_shared<UNet::Layer>(
                UNet::Layer{Downsample{Conv::load(t.sub(p), "op", channels, channels, 3, {.stride = {2, 2}, .padding = {1, 1}}, o.mode)}}));
        } else if (t.has(p + ".conv.weight")) {
            layers.push_back(std::make_shared<UNet::Layer>(
                UNet::Layer{Upsample{Conv::load(t.sub(p), "conv", channels, channels, 3, {.padding = {1, 1}}, o.mode)}}));
        } else if (k == 0 && t.has(p + ".weight")) {
            // input_blocks.0.0: the first convolution.
            const Tensor& w = t.get(p + ".weight");
            layers.push_back(std::make_shared<UNet::Layer>(
                UNet::Layer{PlainConv{Conv::load(t, p, w.size(1), w.size(0), 3, {.padding = {1, 1}}, o.mode)}}));
            channels = w.size(0);
        } else {
            break;
        }
    }
    return layers;
}

Tensor run_unet_block(const UNetBlock& block, Tensor h, const Tensor& emb, const Tensor& context, const Shape* upsample_to) {
    for (const auto& layer : block) {
        if (auto* r = std::get_if<ResBlock>(&layer->op)) {
            h = r->forward(h, emb);
        } else if (auto* s = std::get_if<SpatialTransformer>(&layer->op)) {
            h = s->forward(h, context);
        } else if (auto* c = std::get_if<PlainConv>(&layer->op)) {
            h = c->conv(h);
        } else if (auto* d = std::get_if<Downsample>(&layer->op)) {
            h = d->conv(h);
        } else if (auto* u = std::get_if<Upsample>(&layer->op)) {
            const int64_t oh = upsample_to ? (*upsample_to)[2] : h.size(2) * 2;
            const int64_t ow = upsample_to ? (*upsample_to)[3] : h.size(3) * 2;
            h = u->conv(ops::upsample_nearest(h, oh, ow));
        }
    }
    return h;
}

UNet UNet::load(const WeightTable& t, const UNetOptions& o) {
    UNet u;
    const Tensor& first = t.get("input_blocks.0.0.weight");
    if (first.dim() != 4) throw Error(ErrorCode::ModelLoadFailed, "input_blocks.0.0.weight is not a convolution", t.path()).at_path(t.path());
    u.in_channels_ = first.size(1);
    u.model_channels_ = first.size(0);
    const int64_t emb_dim = t.get("time_embed.0.weight").size(0);
    u.time1_ = Linear::load(t, "time_embed.0", u.model_channels_, emb_dim, true, o.mode);
    u.time2_ = Linear::load(t, "time_embed.2", emb_dim, emb_dim, true, o.mode);

    int64_t channels = u.in_channels_;
    std::vector<int64_t> skip_channels;
    for (int64_t n = 0; t.has("input_blocks." + std::to_string(n) + ".0.weight") || t.has("input_blocks." + std::to_string(n) + ".0.in_layers.0.weight") ||
                        t.has("input_blocks." + std::to_string(n) + ".0.op.weight");
         ++n) {
        u.input_.push_back(load_unet_block(t.sub("input_blocks." + std::to_string(n)), channels, emb_dim, o));
        skip_channels.push_back(channels);
    }
    u.middle_ = load_unet_block(t.sub("middle_block"), channels, emb_dim, o);
    for (int64_t n = 0; t.has("output_blocks." + std::to_string(n) + ".0.in_layers.0.weight"); ++n) {
        if (skip_channels.empty()) throw Error(ErrorCode::ModelLoadFailed, "UNet has more output blocks than skip connections", t.path()).at_path(t.path());
        channels += skip_channels.back();
        skip_channels.pop_back();
        u.output_.push_back(load_unet_block(t.sub("output_blocks." + std::to_string(n)), channels, emb_dim, o));
    }
    if (u.input_.empty() || u.output_.size() != u.input_.size())
        throw Error(ErrorCode::ModelLoadFailed, "UNet blocks do not pair up (" + std::to_string(u.input_.size()) + " input, " +
                                             std::to_string(u.output_.size()) + " output)", t.path()).at_path(t.path());
    u.out_norm_ = Norm::load(t, "out.0", channels, 1e-5f);
    u.out_conv_ = Conv::load(t, "out.2", channels, t.get("out.2.weight").size(0), 3, {.padding = {1, 1}}, o.mode);
    for (int64_t n = 0;; ++n) {
        const std::string key = "input_blocks." + std::to_string(n) + ".1.transformer_blocks.0.attn2.to_k.weight";
        if (n >= static_cast<int64_t>(u.input_.size())) break;
        if (t.has(key)) {
            u.context_dim_ = t.get(key).size(1);
            break;
        }
    }
    return u;
}

namespace {

/// h + residual where a residual is given (ComfyUI's apply_control); shapes must agree.
Tensor add_control(Tensor h, const std::vector<Tensor>* list, size_t i, const char* where) {
    if (!list || i >= list->size() || !(*list)[i].defined()) return h;
    const Tensor& r = (*list)[i];
    if (r.shape() != h.shape())
        throw Error(ErrorCode::InvalidInputType, std::string("control residual for ") + where + " " + std::to_string(i) + " is " + r.describe() +
                                              ", the UNet has " + h.describe());
    return ops::add(h, r);
}

}  // namespace

Tensor UNet::forward(const Tensor& x, const Tensor& timesteps, const Tensor& context, const ControlResiduals* control) const {
    if (x.dim() != 4 || x.size(1) != in_channels_)
        throw Error(ErrorCode::InvalidInputType, "the UNet takes a latent with " + std::to_string(in_channels_) + " channels; got " + x.describe());
    Tensor emb = time2_(ops::silu(time1_(timestep_embedding(timesteps, model_channels_))));
    Tensor emb_silu = ops::silu(emb);
    const std::vector<Tensor>* control_input = control ? &control->input : nullptr;
    const std::vector<Tensor>* control_skip = control ? &control->skip : nullptr;
    std::vector<Tensor> skips;
    Tensor h = x;
    for (size_t i = 0; i < input_.size(); ++i) {
        h = run_unet_block(input_[i], h, emb_silu, context, nullptr);
        h = add_control(std::move(h), control_input, i, "input block");
        skips.push_back(h);
    }
    h = run_unet_block(middle_, h, emb_silu, context, nullptr);
    if (control && control->middle.defined()) {
        if (control->middle.shape() != h.shape())
            throw Error(ErrorCode::InvalidInputType, "control residual for the middle block is " + control->middle.describe() + ", the UNet has " + h.describe());
        h = ops::add(h, control->middle);
    }
    for (const auto& block : output_) {
        const Tensor skip = add_control(skips.back(), control_skip, skips.size() - 1, "skip");
        h = ops::concat({h, skip}, 1);
        skips.pop_back();
        const Shape* next = skips.empty() ? nullptr : &skips.back().shape();
        h = run_unet_block(block, h, emb_silu, context, next);
    }
    return out_conv_(out_norm_.group_silu(h));
}

}  // namespace weft::nets
