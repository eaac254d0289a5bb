// tensor/model_file.cpp — format sniffing and the name -> tensor table.
#include "tensor/model_file.h"

#include "tensor/mapped_file.h"
#include "tensor/pickle_checkpoint.h"
#include "tensor/safetensors.h"
#include "tensor/zip_archive.h"

#include <weft/error.h>

namespace weft {

namespace {

// The JSON header starts right after the 8-byte length; zips start with "PK" and pickles with 0x80.
// The length itself is left to the reader to validate, so a truncated file gets a precise error.
bool looks_like_safetensors(const MappedFile& f) { return f.size() >= 9 && static_cast<char>(f.data()[8]) == '{'; }

bool looks_like_pickle(const MappedFile& f) { return f.size() >= 2 && static_cast<uint8_t>(f.data()[0]) == 0x80; }

}  // namespace

const Tensor& ModelFile::at(const std::string& name) const {
    const auto it = tensors.find(name);
    if (it == tensors.end()) {
        Error e(ErrorCode::ModelLoadFailed, "no tensor named '" + name + "' in the model file");
        e.at_path(path);
        throw e;
    }
    return it->second;
}

void ModelFile::release_pages(const Tensor& t) const {
    if (!mapping || !t.defined() || t.numel() == 0) return;
    const std::byte* begin = mapping->data();
    const std::byte* p = t.raw_data();
    if (p < begin || p >= begin + mapping->size()) return;
    // The extent of a strided view: the last element's offset, plus one element.
    int64_t last = 0;
    for (int64_t d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.strides()[d];
    const size_t bytes = static_cast<size_t>(last + 1) * dtype_size(t.dtype());
    mapping->release(static_cast<size_t>(p - begin), bytes);
}

ModelFile open_model_file(const std::string& path) {
    auto file = MappedFile::open(path);
    ModelFile m;
    m.path = path;
    m.mapping = file;
    if (looks_like_safetensors(*file)) {
        SafetensorsFile st(file);
        m.format = "safetensors";
        m.metadata = st.metadata();
        for (const auto& e : st.entries())
            if (e.dtype) m.tensors.emplace(e.name, st.tensor(e));
        return m;
    }
    if (ZipArchive::looks_like_zip(*file) || looks_like_pickle(*file)) {
        PickleCheckpoint ck = read_pickle_checkpoint(file);
        m.format = "pytorch";
        m.metadata = std::move(ck.metadata);
        for (auto& [name, t] : ck.tensors) m.tensors.emplace(name, std::move(t));
        return m;
    }
    Error e(ErrorCode::ModelLoadFailed,
            "not a model file: neither safetensors nor a PyTorch zip checkpoint (" + std::to_string(file->size()) +
                " bytes)");
    e.at_path(path);
    throw e;
}

}  // namespace weft
