#include "blocks/weight_layout.h"

namespace weft::nets {

void WeightLayout::add(std::string name, Shape shape, WeightRole role) { specs_.push_back({std::move(name), std::move(shape), role}); }

void WeightLayout::linear(const std::string& name, int64_t in, int64_t out, bool with_bias) {
    add(name + ".weight", {out, in}, WeightRole::Weight);
    if (with_bias) add(name + ".bias", {out}, WeightRole::Bias);
}

void WeightLayout::conv(const std::string& name, int64_t in, int64_t out, int64_t k) {
    add(name + ".weight", {out, in, k, k}, WeightRole::Weight);
    add(name + ".bias", {out}, WeightRole::Bias);
}

void WeightLayout::norm(const std::string& name, int64_t c) {
    add(name + ".weight", {c}, WeightRole::NormScale);
    add(name + ".bias", {c}, WeightRole::Bias);
}

void WeightLayout::check(const WeightTable& table) const {
    for (const WeightSpec& s : specs_) table.expect(s.name, s.shape);
}

}  // namespace weft::nets
