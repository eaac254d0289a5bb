// models/nets/weight_table.h — named weights of one network inside a model file, with shape checks.
//
//   WeightTable unet(file, "model.diffusion_model.");
//   Tensor w = unet.get("input_blocks.0.0.weight", {320, 4, 3, 3});   // throws naming file and key
//   WeightTable block = unet.sub("input_blocks.1.0");                 // "model.diffusion_model.input_blocks.1.0."
#pragma once

#include "tensor/model_file.h"

#include <weft/tensor.h>

#include <memory>
#include <string>

namespace weft::nets {

class WeightTable {
public:
    WeightTable(std::shared_ptr<const ModelFile> file, std::string prefix);

    bool has(const std::string& name) const;
    /// The tensor `prefix + name` as stored; throws weft::Error naming the file and the key.
    const Tensor& get(const std::string& name) const;
    /// Same, checking the shape: "tensor 'X' in FILE has shape A; expected B".
    const Tensor& get(const std::string& name, const Shape& expected) const;
    /// The tensor converted to a contiguous F32 copy (norm weights, embeddings, biases).
    Tensor f32(const std::string& name, const Shape& expected) const;
    /// A table for `prefix + name + "."`.
    WeightTable sub(const std::string& name) const;

    const std::string& prefix() const { return prefix_; }
    const std::string& path() const { return file_->path; }
    const ModelFile& file() const { return *file_; }

private:
    std::shared_ptr<const ModelFile> file_;
    std::string prefix_;
};

}  // namespace weft::nets
