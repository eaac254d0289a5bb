// blocks/weight_layout.h — a declarative list of the weights a network expects: key, shape, role.
//
// A family writes its architecture's key layout once, as a function from its config to a
// WeightLayout (as llama.cpp keeps one tensor table per architecture). The loader checks a file
// against it before building the network (a missing key or a wrong shape names the key, the file
// and both shapes); writers of random-weight files (the demo checkpoint, test models) fill it.
//
//   WeightLayout l;
//   l.conv("input_blocks.0.0", 4, 320, 3);          // .weight [320,4,3,3], .bias [320]
//   l.check(WeightTable(file, "model.diffusion_model."));
#pragma once

#include "blocks/weight_table.h"

#include <weft/tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace weft::nets {

/// What a tensor is, so a writer of random weights knows how to fill it.
enum class WeightRole : uint8_t {
    Weight,     // a linear/conv kernel or an embedding: scaled by 1/sqrt(fan_in)
    Bias,       // a bias or a norm's shift: around 0
    NormScale,  // a norm's scale: around 1
};

struct WeightSpec {
    std::string name;  // relative to the table's prefix
    Shape shape;
    WeightRole role;
};

class WeightLayout {
public:
    void add(std::string name, Shape shape, WeightRole role);
    /// `name.weight` [out, in] (+ `name.bias` [out]).
    void linear(const std::string& name, int64_t in, int64_t out, bool with_bias = true);
    /// `name.weight` [out, in, k, k] and `name.bias` [out].
    void conv(const std::string& name, int64_t in, int64_t out, int64_t k);
    /// GroupNorm / LayerNorm: `name.weight` and `name.bias`, both [c].
    void norm(const std::string& name, int64_t c);

    const std::vector<WeightSpec>& specs() const { return specs_; }

    /// Every weight is in `table` with its shape; throws weft::Error (model_load_failed) naming
    /// the file, the full key and, for a wrong shape, the actual and expected shapes.
    void check(const WeightTable& table) const;

private:
    std::vector<WeightSpec> specs_;
};

}  // namespace weft::nets
