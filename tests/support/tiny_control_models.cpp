#include "tiny_control_models.h"

#include "tensor/safetensors.h"

#include <cmath>

namespace weft::testing {

float TinyWeights::normal() {
    // Box-Muller on a fixed engine: the same file on every platform.
    const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) / 9007199254740993.0;
    const double u2 = static_cast<double>(rng_() >> 11) / 9007199254740992.0;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
}

Tensor TinyWeights::values(const Shape& shape, float scale, float offset) {
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& x : v) x = offset + scale * normal();
    return Tensor::from_vector(shape, v).to(dtype_);
}

void TinyWeights::weight(const std::string& name, Shape shape) {
    int64_t fan_in = 1;
    for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    add(name, values(shape, 1.0f / std::sqrt(static_cast<float>(fan_in)), 0.0f));
}

void TinyWeights::bias(const std::string& name, int64_t n) { add(name, values({n}, 0.1f, 0.0f)); }

void TinyWeights::linear(const std::string& name, int64_t in, int64_t out, bool with_bias) {
    nets::WeightLayout l;
    l.linear(name, in, out, with_bias);
    fill(l);
}

void TinyWeights::conv(const std::string& name, int64_t in, int64_t out, int64_t k) {
    nets::WeightLayout l;
    l.conv(name, in, out, k);
    fill(l);
}

void TinyWeights::norm(const std::string& name, int64_t c) {
    nets::WeightLayout l;
    l.norm(name, c);
    fill(l);
}

void TinyWeights::write(const std::filesystem::path& path) const {
    std::filesystem::create_directories(path.parent_path());
    write_safetensors(path.string(), tensors);
}

void TinyWeights::fill(const nets::WeightLayout& layout) {
    for (const nets::WeightSpec& s : layout.specs()) {
        if (s.role == nets::WeightRole::Weight) weight(s.name, s.shape);
        else if (s.role == nets::WeightRole::Bias) add(s.name, values(s.shape, 0.1f, 0.0f));  // as bias()
        else add(s.name, values(s.shape, 0.1f, 1.0f));
    }
}

std::vector<int64_t> input_block_widths(const TinyUNetSpec& spec) {
    nets::WeightLayout scratch;
    return nets::add_unet_encoder(scratch, "", spec);
}

void add_unet(TinyWeights& w, const std::string& p, const TinyUNetSpec& s) { w.fill(nets::unet_weights(s, p)); }

void add_controlnet(TinyWeights& w, const std::string& p, const TinyUNetSpec& s) {
    w.fill(nets::controlnet_weights(s, {.widths = s.hint_widths, .channels = s.hint_channels}, p));
}

void add_t2i_full(TinyWeights& w, int64_t c, int64_t per_level, int64_t cin, bool conv_down, int64_t ksize) {
    const std::vector<int64_t> widths = {c, 2 * c, 4 * c, 4 * c};
    w.conv("conv_in", cin, c, 3);
    int64_t ch = c, n = 0;
    for (size_t l = 0; l < widths.size(); ++l)
        for (int64_t j = 0; j < per_level; ++j, ++n) {
            const std::string b = "body." + std::to_string(n) + ".";
            if (l > 0 && j == 0 && conv_down) w.conv(b + "down_opt.op", ch, ch, 3);
            if (ch != widths[l]) w.conv(b + "in_conv", ch, widths[l], ksize);
            ch = widths[l];
            w.conv(b + "block1", ch, ch, 3);
            w.conv(b + "block2", ch, ch, ksize);
        }
}

void add_t2i_light(TinyWeights& w, const std::vector<int64_t>& widths, int64_t per_level, int64_t cin) {
    int64_t ch = cin;
    for (size_t l = 0; l < widths.size(); ++l) {
        const std::string b = "body." + std::to_string(l) + ".";
        const int64_t inter = widths[l] / 4;
        w.conv(b + "in_conv", ch, inter, 1);
        for (int64_t k = 0; k < per_level; ++k) {
            w.conv(b + "body." + std::to_string(k) + ".block1", inter, inter, 3);
            w.conv(b + "body." + std::to_string(k) + ".block2", inter, inter, 3);
        }
        w.conv(b + "out_conv", inter, widths[l], 1);
        ch = widths[l];
    }
}

}  // namespace weft::testing
