// tensor/mapped_file.h — a read-only memory mapping of a whole file (POSIX mmap, RAII).
//
// Model files are mapped, not read: tensors become views over the mapping and the kernel pages
// bytes in only when they are touched, so opening a multi-GB checkpoint costs a header parse.
// Several processes mapping the same file share the page cache.
//
//   auto file = weft::MappedFile::open("model.safetensors");
//   weft::Tensor w(file->storage(), weft::DType::F16, {320, 4, 3, 3}, {}, offset);
//
// The mapping is PROT_READ / MAP_PRIVATE: tensors that view it are read-only (writing faults);
// clone() one before modifying it in place. Each Storage made by storage() holds the mapping alive.
#pragma once

#include <weft/tensor.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace weft {

class MappedFile : public std::enable_shared_from_this<MappedFile> {
public:
    /// Maps `path`; throws weft::Error (with the path) when it cannot be opened or mapped.
    static std::shared_ptr<MappedFile> open(const std::string& path);
    /// Wraps an in-memory copy of `bytes` as if it were a mapped file named `name` (tests, fuzzing).
    static std::shared_ptr<MappedFile> from_bytes(std::vector<std::byte> bytes, std::string name = "<memory>");

    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::byte* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

    /// A Storage over the whole mapping; it keeps this mapping alive.
    std::shared_ptr<Storage> storage();
    /// Asks the kernel to read [offset, offset + length) ahead (before converting a tensor, say).
    void prefetch(size_t offset, size_t length) const;
    /// Drops this process's mapping of the whole pages inside [offset, offset + length) once their
    /// bytes have been converted: they stay in the page cache and fault back in if read again, but
    /// stop counting in the resident set (a loaded checkpoint would otherwise hold both its
    /// converted weights and the file's pages).
    void release(size_t offset, size_t length) const;

private:
    MappedFile() = default;
    std::byte* data_ = nullptr;
    size_t size_ = 0;
    std::string path_;
    bool mapped_ = false;
    std::vector<std::byte> owned_;  // from_bytes only
    std::mutex mutex_;  // guards storage_
    std::weak_ptr<Storage> storage_;
};

}  // namespace weft
