#include "blocks/layers.h"

namespace weft::nets {

Linear Linear::load(const WeightTable& t, const std::string& name, int64_t in, int64_t out, bool bias, ops::Compute mode) {
    const Tensor& w = t.get(name + ".weight", {out, in});
    Tensor b = bias ? t.get(name + ".bias", {out}) : Tensor();
    return Linear{ops::PackedLinear(w, b, mode)};
}

Linear Linear::load_pointwise(const WeightTable& t, const std::string& name, int64_t in, int64_t out, ops::Compute mode) {
    const Tensor& w = t.get(name + ".weight");
    Tensor w2 = w.dim() == 4 ? t.get(name + ".weight", {out, in, 1, 1}).reshape({out, in}) : t.get(name + ".weight", {out, in});
    return Linear{ops::PackedLinear(w2, t.get(name + ".bias", {out}), mode)};
}

Conv Conv::load(const WeightTable& t, const std::string& name, int64_t in, int64_t out, int64_t k, ops::Conv2dParams p,
                ops::Compute mode) {
    const Tensor& w = t.get(name + ".weight", {out, in, k, k});
    return Conv{ops::PackedConv2d(w, t.get(name + ".bias", {out}), p, mode)};
}

void LinearAdapter::pack() const {
    std::call_once(packed_, [this] {
        if (down_w_.defined()) down_ = ops::PackedLinear(down_w_, Tensor(), mode_);
        up_ = ops::PackedLinear(up_w_, Tensor(), mode_);
        down_w_ = up_w_ = Tensor();  // the packed copies replace them
    });
}

Tensor LinearAdapter::add_to(Tensor y, const Tensor& x) const {
    pack();
    // The branch is added through the matmul's fused residual: no extra pass over y.
    return down_.defined() ? up_(down_(x), y) : up_(x, y);
}

void ConvAdapter::pack() const {
    std::call_once(packed_, [this] {
        if (down_w_.defined()) down_ = ops::PackedConv2d(down_w_, Tensor(), params_, mode_);
        up_ = ops::PackedConv2d(up_w_, Tensor(), down_w_.defined() ? ops::Conv2dParams{} : params_, mode_);
        down_w_ = up_w_ = Tensor();
    });
}

Tensor ConvAdapter::add_to(Tensor y, const Tensor& x) const {
    pack();
    return ops::add(y, down_.defined() ? up_(down_(x)) : up_(x));
}

Tensor Linear::adapted(Tensor y, const Tensor& x) const {
    for (const auto& a : adapters) y = a->add_to(std::move(y), x);
    return y;
}

Tensor Conv::adapted(Tensor y, const Tensor& x) const {
    for (const auto& a : adapters) y = a->add_to(std::move(y), x);
    return y;
}

Tensor Conv::banded(const Shape& input, const ops::PackedConv2d::InputRows& rows, bool rows_channels_last, DType out,
                    bool out_channels_last) const {
    if (adapters.empty()) return conv(input, rows, rows_channels_last, out, out_channels_last);
    // An adapter reads the convolution's input: materialise it once for both (NCHW, or the
    // channels-last layout the producer writes).
    Tensor x = rows_channels_last ? Tensor::zeros({input[0], input[2], input[3], input[1]}).permute({0, 3, 1, 2}) : Tensor::zeros(input);
    rows(0, input[2], x);
    return adapted(conv(x), x).to(out);
}

Norm Norm::load(const WeightTable& t, const std::string& name, int64_t channels, float eps, int64_t groups) {
    return Norm{t.f32(name + ".weight", {channels}), t.f32(name + ".bias", {channels}), eps, groups};
}

int64_t count_children(const WeightTable& t, const std::string& prefix, const std::string& probe) {
    int64_t n = 0;
    while (t.has(prefix + "." + std::to_string(n) + "." + probe)) ++n;
    return n;
}

Tensor split_heads(const Tensor& x, int64_t heads) {
    const int64_t b = x.size(0), tokens = x.size(1), dim = x.size(2);
    return x.reshape({b, tokens, heads, dim / heads}).permute({0, 2, 1, 3});
}

Tensor merge_heads(const Tensor& x) {
    const int64_t b = x.size(0), heads = x.size(1), tokens = x.size(2), d = x.size(3);
    return x.permute({0, 2, 1, 3}).reshape({b, tokens, heads * d});
}

Tensor to_tokens(const Tensor& x) {
    const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    return x.permute({0, 2, 3, 1}).contiguous().reshape({b, h * w, c});
}

Tensor from_tokens(const Tensor& t, int64_t h, int64_t w) {
    const int64_t b = t.size(0), c = t.size(2);
    return t.reshape({b, h, w, c}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace weft::nets
