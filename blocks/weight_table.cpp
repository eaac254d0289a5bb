#include "blocks/weight_table.h"

#include <weft/error.h>

namespace weft::nets {

// Long enough that a layer's weight, bias and norm parameters are still mapped while it builds.
constexpr size_t kWindow = 16;

struct WeightTable::ReadWindow {
    explicit ReadWindow(std::shared_ptr<const ModelFile> f) : file(std::move(f)) {}
    std::shared_ptr<const ModelFile> file;
    std::mutex mutex;
    std::deque<Tensor> recent;

    void fetched(const Tensor& t) {
        std::lock_guard lock(mutex);
        recent.push_back(t);
        if (recent.size() > kWindow) {
            file->release_pages(recent.front());
            recent.pop_front();
        }
    }
    ~ReadWindow() {
        for (const Tensor& t : recent) file->release_pages(t);
    }
};

WeightTable::WeightTable(std::shared_ptr<const ModelFile> file, std::string prefix)
    : WeightTable(file, std::move(prefix), std::make_shared<ReadWindow>(file)) {}

WeightTable::WeightTable(std::shared_ptr<const ModelFile> file, std::string prefix, std::shared_ptr<ReadWindow> window)
    : file_(std::move(file)), prefix_(std::move(prefix)), window_(std::move(window)) {}

bool WeightTable::has(const std::string& name) const { return file_->contains(prefix_ + name); }

const Tensor& WeightTable::find(const std::string& name) const {
    auto it = file_->tensors.find(prefix_ + name);
    if (it == file_->tensors.end())
        throw Error(ErrorCode::ModelLoadFailed, "tensor '" + prefix_ + name + "' is missing", file_->path).at_path(file_->path);
    return it->second;
}

const Tensor& WeightTable::get(const std::string& name) const {
    const Tensor& t = find(name);
    window_->fetched(t);
    return t;
}

void WeightTable::expect(const std::string& name, const Shape& expected) const {
    const Tensor& t = find(name);
    if (t.shape() != expected)
        throw Error(ErrorCode::ModelLoadFailed,
                    "tensor '" + prefix_ + name + "' has shape " + shape_string(t.shape()) + "; expected " + shape_string(expected), file_->path)
            .at_path(file_->path);
}

const Tensor& WeightTable::get(const std::string& name, const Shape& expected) const {
    expect(name, expected);
    return get(name);
}

Tensor WeightTable::f32(const std::string& name, const Shape& expected) const {
    Tensor t = get(name, expected).to(DType::F32).contiguous();
    // A view over the mapped file is read-only; own the converted bytes.
    return t.storage() == get(name).storage() ? t.clone() : t;
}

WeightTable WeightTable::sub(const std::string& name) const { return WeightTable(file_, prefix_ + name + ".", window_); }

}  // namespace weft::nets
