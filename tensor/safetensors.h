// tensor/safetensors.h — reading and writing .safetensors files.
//
// Format: u64 little-endian header length N, N bytes of JSON header
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the
// data section. The reader validates the header the way the reference implementation does (header
// bound by the file size, valid UTF-8 JSON, no duplicate names, byte size == dtype size x numel,
// tensors tiling the data section with no hole or overlap, data section ending at end of file) and
// returns tensors as views over the mapped file: opening reads the header only.
//
//   weft::SafetensorsFile f("model.safetensors");
//   for (const auto& e : f.entries()) fmt::print("{} {}\n", e.name, e.dtype_name);
//   weft::Tensor w = f.tensor("model.diffusion_model.out.2.weight");   // a read-only view
//
// Thread safety: a SafetensorsFile is immutable after construction; tensor() may be called from
// several threads.
#pragma once

#include "tensor/mapped_file.h"

#include <weft/tensor.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weft {

struct SafetensorsEntry {
    std::string name;
    std::string dtype_name;      // as written: "F16", "F8_E4M3", "U32", ...
    std::optional<DType> dtype;  // empty for format dtypes weft has no DType for (U16, U32, F4, ...)
    Shape shape;
    size_t begin = 0, end = 0;   // absolute file offsets of the tensor's bytes
};

class SafetensorsFile {
public:
    /// Maps and validates `path`; throws weft::Error naming the file (and tensor) on any problem.
    explicit SafetensorsFile(const std::string& path);
    /// Validates an already-mapped (or in-memory) file.
    explicit SafetensorsFile(std::shared_ptr<MappedFile> file);

    const std::string& path() const { return file_->path(); }
    /// Entries in data-offset order.
    const std::vector<SafetensorsEntry>& entries() const { return entries_; }
    /// The "__metadata__" map (empty when absent).
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    bool contains(const std::string& name) const { return index_.count(name) != 0; }
    /// Throws weft::Error naming the file when `name` is absent.
    const SafetensorsEntry& entry(const std::string& name) const;
    /// A view over the mapped bytes (no copy) — a copy only when the bytes are not aligned to the
    /// element size. Throws for a dtype weft cannot represent.
    Tensor tensor(const std::string& name) const;
    Tensor tensor(const SafetensorsEntry& entry) const;
    const std::shared_ptr<MappedFile>& file() const { return file_; }

private:
    void parse();
    std::shared_ptr<MappedFile> file_;
    std::vector<SafetensorsEntry> entries_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
};

/// Writes `tensors` (any strides; written row-major) and `metadata` to `path` atomically: the file
/// is written under a temporary name in the same folder, synced, then renamed over `path`.
/// Throws weft::Error (naming the file and tensor) for duplicate names, undefined tensors or IO errors.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace weft
