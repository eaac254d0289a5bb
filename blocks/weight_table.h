// blocks/weight_table.h — named weights of one network inside a model file, with shape checks.
//
// Loading converts or repacks every weight, after which the file's pages are dead weight in the
// resident set (2 GB for an fp16 SD1.5 file, on top of the converted weights). So a table and its
// sub-tables share a short window of the tensors fetched last; a tensor leaving the window, and
// every tensor in it when the last table goes away, has its file pages released
// (ModelFile::release_pages). A tensor read again later faults back in from the page cache.
//
//   WeightTable unet(file, "model.diffusion_model.");
//   Tensor w = unet.get("input_blocks.0.0.weight", {320, 4, 3, 3});   // throws naming file and key
//   WeightTable block = unet.sub("input_blocks.1.0");                 // "model.diffusion_model.input_blocks.1.0."
#pragma once

#include "tensor/model_file.h"

#include <weft/tensor.h>

#include <deque>
#include <memory>
#include <mutex>
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
    /// Checks that `prefix + name` exists with shape `expected` (errors as get's) without
    /// fetching it: a whole-file check before loading leaves the read window alone.
    void expect(const std::string& name, const Shape& expected) const;
    /// The tensor converted to a contiguous F32 copy (norm weights, embeddings, biases).
    Tensor f32(const std::string& name, const Shape& expected) const;
    /// A table for `prefix + name + "."`.
    WeightTable sub(const std::string& name) const;

    const std::string& prefix() const { return prefix_; }
    const std::string& path() const { return file_->path; }
    const ModelFile& file() const { return *file_; }

private:
    struct ReadWindow;
    const Tensor& find(const std::string& name) const;
    WeightTable(std::shared_ptr<const ModelFile> file, std::string prefix, std::shared_ptr<ReadWindow> window);

    std::shared_ptr<const ModelFile> file_;
    std::string prefix_;
    std::shared_ptr<ReadWindow> window_;
};

}  // namespace weft::nets
