// include/weft/tensor.h — the n-dimensional array every IMAGE, MASK, LATENT and model weight is made of.
//
// A Tensor is a cheap-to-copy handle: {shared Storage, dtype, shape, strides, offset}. Copies share
// storage; views (slice, reshape of a contiguous tensor, permute) share storage too. Storage owns
// its bytes through a deleter, so memory-mapped file regions and heap buffers look the same.
//
//   weft::Tensor img = weft::Tensor::zeros({1, 64, 64, 3});          // F32 [B,H,W,C]
//   img.data<float>()[0] = 1.0f;
//   weft::Tensor half = img.to(weft::DType::F16);                       // a converted copy
//
// Thread safety: distinct Tensor handles may be used from different threads. Writing through one
// handle while another thread reads the same storage is a data race, as with any buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace weft {

enum class DType : uint8_t { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, F8_E4M3, F8_E5M2 };

/// Bytes per element of `t`.
size_t dtype_size(DType t);
/// The safetensors spelling of `t` ("F32", "BF16", "F8_E4M3", ...).
const char* dtype_name(DType t);
/// Parses a safetensors dtype name; throws weft::Error for an unknown name.
DType dtype_from_name(const std::string& name);

/// Owns a byte range. `release` is called once when the last Tensor using it goes away.
class Storage {
public:
    Storage(void* data, size_t nbytes, std::function<void()> release);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    /// A zero-initialised heap buffer, 64-byte aligned.
    static std::shared_ptr<Storage> allocate(size_t nbytes);

    std::byte* data() const { return data_; }
    size_t nbytes() const { return nbytes_; }

private:
    std::byte* data_;
    size_t nbytes_;
    std::function<void()> release_;
};

using Shape = std::vector<int64_t>;

class Tensor {
public:
    /// An undefined tensor (no storage). `defined()` is false.
    Tensor() = default;
    /// A view over `storage` starting `offset_bytes` in.
    Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, std::vector<int64_t> strides,
           size_t offset_bytes = 0);

    /// A new zero-filled contiguous tensor.
    static Tensor zeros(const Shape& shape, DType dtype = DType::F32);
    /// A new contiguous tensor filled with `value`.
    static Tensor full(const Shape& shape, float value, DType dtype = DType::F32);
    /// A new contiguous F32 tensor holding a copy of `values` (size must equal the shape's numel).
    static Tensor from_vector(const Shape& shape, std::span<const float> values);

    bool defined() const { return storage_ != nullptr; }
    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    const std::vector<int64_t>& strides() const { return strides_; }  // in elements
    int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
    /// Size of dimension `d`; negative `d` counts from the end.
    int64_t size(int64_t d) const;
    int64_t numel() const;
    size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
    bool is_contiguous() const;
    const std::shared_ptr<Storage>& storage() const { return storage_; }
    size_t offset_bytes() const { return offset_; }

    /// Pointer to the first element. T must match dtype's size; use raw_data() for untyped access.
    template <class T> T* data() const { return reinterpret_cast<T*>(raw_data()); }
    std::byte* raw_data() const;

    /// A contiguous copy (or this tensor when already contiguous).
    Tensor contiguous() const;
    /// A deep copy that owns new storage.
    Tensor clone() const;
    /// A converted contiguous copy (or this tensor when dtype already matches and contiguous).
    Tensor to(DType dtype) const;
    /// Same data, new shape; one dimension may be -1. Needs a contiguous tensor (else copies).
    Tensor reshape(const Shape& shape) const;
    /// A view of [start, end) along dimension `d` (no copy).
    Tensor slice(int64_t d, int64_t start, int64_t end) const;
    /// A view with dimensions reordered (no copy).
    Tensor permute(const std::vector<int64_t>& order) const;

    /// "F32 [1, 64, 64, 3]" — for error messages.
    std::string describe() const;

private:
    std::shared_ptr<Storage> storage_;
    DType dtype_ = DType::F32;
    Shape shape_;
    std::vector<int64_t> strides_;
    size_t offset_ = 0;
};

/// Row-major strides for `shape`.
std::vector<int64_t> contiguous_strides(const Shape& shape);
/// Product of the dimensions.
int64_t shape_numel(const Shape& shape);
/// "[1, 4, 64, 64]".
std::string shape_string(const Shape& shape);

}  // namespace weft
