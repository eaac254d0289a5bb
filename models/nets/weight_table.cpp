#include "models/nets/weight_table.h"

#include <weft/error.h>

namespace weft::nets {

WeightTable::WeightTable(std::shared_ptr<const ModelFile> file, std::string prefix) : file_(std::move(file)), prefix_(std::move(prefix)) {}

bool WeightTable::has(const std::string& name) const { return file_->contains(prefix_ + name); }

const Tensor& WeightTable::get(const std::string& name) const {
    auto it = file_->tensors.find(prefix_ + name);
    if (it == file_->tensors.end())
        throw Error("model_load_failed", "tensor '" + prefix_ + name + "' is missing", file_->path).at_path(file_->path);
    return it->second;
}

const Tensor& WeightTable::get(const std::string& name, const Shape& expected) const {
    const Tensor& t = get(name);
    if (t.shape() != expected)
        throw Error("model_load_failed",
                    "tensor '" + prefix_ + name + "' has shape " + shape_string(t.shape()) + "; expected " + shape_string(expected), file_->path)
            .at_path(file_->path);
    return t;
}

Tensor WeightTable::f32(const std::string& name, const Shape& expected) const {
    Tensor t = get(name, expected).to(DType::F32).contiguous();
    // A view over the mapped file is read-only; own the converted bytes.
    return t.storage() == get(name).storage() ? t.clone() : t;
}

WeightTable WeightTable::sub(const std::string& name) const { return WeightTable(file_, prefix_ + name + "."); }

}  // namespace weft::nets
