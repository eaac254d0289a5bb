// core/tensor.cpp — Storage and the Tensor handle: construction, views, copies, conversion.
#include <weft/error.h>
#include <weft/tensor.h>

#include "core/convert.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace weft {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw Error(ErrorCode::TensorError, msg); }

int64_t normalize_dim(int64_t d, int64_t ndim, const char* what) {
    const int64_t n = d < 0 ? d + ndim : d;
    if (n < 0 || n >= ndim)
        fail(std::string(what) + ": dimension " + std::to_string(d) + " out of range for a " +
             std::to_string(ndim) + "-d tensor");
    return n;
}

// Copies the elements of `src` (any strides) into the contiguous buffer `dst`.
void copy_to_contiguous(const Tensor& src, std::byte* dst) {
    const size_t es = dtype_size(src.dtype());
    const int64_t total = src.numel();
    if (total == 0) return;

    // Drop size-1 dims and merge dims that are contiguous with each other, innermost last.
    std::vector<int64_t> shape, stride;
    for (int64_t i = 0; i < src.dim(); ++i) {
        if (src.shape()[i] == 1) continue;
        if (!shape.empty() && stride.back() == src.strides()[i] * src.shape()[i]) {
            shape.back() *= src.shape()[i];
            stride.back() = src.strides()[i];
        } else {
            shape.push_back(src.shape()[i]);
            stride.push_back(src.strides()[i]);
        }
    }
    if (shape.empty()) {
        shape.push_back(1);
        stride.push_back(1);
    }
    const std::byte* base = src.raw_data();
    const int64_t inner = shape.back();
    const int64_t inner_stride = stride.back();
    const int64_t rows = total / inner;
    const int outer_dims = static_cast<int>(shape.size()) - 1;

    auto copy_rows = [&](int64_t r0, int64_t r1) {
        // Odometer over the outer dims, started at row r0.
        std::vector<int64_t> idx(outer_dims, 0);
        int64_t rem = r0, off = 0;
        for (int k = outer_dims - 1; k >= 0; --k) {
            idx[k] = rem % shape[k];
            rem /= shape[k];
            off += idx[k] * stride[k];
        }
        for (int64_t r = r0; r < r1; ++r) {
            const std::byte* s = base + off * static_cast<int64_t>(es);
            std::byte* d = dst + r * inner * static_cast<int64_t>(es);
            if (inner_stride == 1) {
                std::memcpy(d, s, static_cast<size_t>(inner) * es);
            } else {
                const int64_t step = inner_stride * static_cast<int64_t>(es);
                for (int64_t i = 0; i < inner; ++i) std::memcpy(d + i * es, s + i * step, es);
            }
            for (int k = outer_dims - 1; k >= 0; --k) {
                off += stride[k];
                if (++idx[k] < shape[k]) break;
                off -= stride[k] * shape[k];
                idx[k] = 0;
            }
        }
    };
    const int64_t bytes = total * static_cast<int64_t>(es);
    if (bytes < (int64_t{1} << 20) || rows == 1) {
        copy_rows(0, rows);
    } else {
        const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / (inner * static_cast<int64_t>(es)));
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain),
                          [&](const tbb::blocked_range<int64_t>& r) { copy_rows(r.begin(), r.end()); });
    }
}

// A contiguous tensor whose bytes are about to be overwritten: skips the zero fill of zeros().
Tensor uninitialized(const Shape& shape, DType dtype) {
    constexpr size_t align = 64;
    const size_t nbytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
    const size_t padded = std::max<size_t>(align, (nbytes + align - 1) / align * align);
    void* p = std::aligned_alloc(align, padded);
    if (!p) throw std::bad_alloc();
    auto storage = std::make_shared<Storage>(p, nbytes, [p] { std::free(p); });
    return Tensor(std::move(storage), dtype, shape, contiguous_strides(shape));
}

}  // namespace

// ---- Storage ----------------------------------------------------------------------------------

Storage::Storage(void* data, size_t nbytes, std::function<void()> release)
    : data_(static_cast<std::byte*>(data)), nbytes_(nbytes), release_(std::move(release)) {}

Storage::~Storage() {
    if (release_) release_();
}

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
    constexpr size_t align = 64;
    const size_t padded = std::max<size_t>(align, (nbytes + align - 1) / align * align);
    void* p = std::aligned_alloc(align, padded);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, padded);
    return std::make_shared<Storage>(p, nbytes, [p] { std::free(p); });
}

// ---- Tensor -----------------------------------------------------------------------------------

Tensor::Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, std::vector<int64_t> strides,
               size_t offset_bytes)
    : storage_(std::move(storage)), dtype_(dtype), shape_(std::move(shape)), strides_(std::move(strides)),
      offset_(offset_bytes) {
    if (!storage_) fail("Tensor: null storage");
    if (strides_.empty() && !shape_.empty()) strides_ = contiguous_strides(shape_);
    if (strides_.size() != shape_.size())
        fail("Tensor: " + std::to_string(strides_.size()) + " strides for shape " + shape_string(shape_));
    // The furthest element must lie inside the storage.
    int64_t last = 0;
    bool empty = false;
    for (size_t i = 0; i < shape_.size(); ++i) {
        if (shape_[i] < 0) fail("Tensor: negative dimension in shape " + shape_string(shape_));
        if (strides_[i] < 0) fail("Tensor: negative stride for shape " + shape_string(shape_));
        int64_t span = 0;
        if (shape_[i] == 0) empty = true;
        else if (__builtin_mul_overflow(shape_[i] - 1, strides_[i], &span) || __builtin_add_overflow(last, span, &last))
            fail("Tensor: shape " + shape_string(shape_) + " overflows");
    }
    const size_t es = dtype_size(dtype_);
    size_t end = offset_;
    if (!empty && (__builtin_mul_overflow(static_cast<size_t>(last) + 1, es, &end) || __builtin_add_overflow(end, offset_, &end)))
        fail("Tensor: shape " + shape_string(shape_) + " overflows");
    if (end > storage_->nbytes() || offset_ > storage_->nbytes())
        fail("Tensor: view " + std::string(dtype_name(dtype_)) + " " + shape_string(shape_) + " at byte offset " +
             std::to_string(offset_) + " exceeds its storage of " + std::to_string(storage_->nbytes()) + " bytes");
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
    const int64_t n = shape_numel(shape);
    return Tensor(Storage::allocate(static_cast<size_t>(n) * dtype_size(dtype)), dtype, shape,
                  contiguous_strides(shape));
}

Tensor Tensor::full(const Shape& shape, float value, DType dtype) {
    Tensor t = zeros(shape, dtype);
    const int64_t n = t.numel();
    if (n == 0) return t;
    // Convert once, then replicate the element's bytes.
    std::byte one[8];
    convert_elements(reinterpret_cast<const std::byte*>(&value), DType::F32, one, dtype, 1);
    const size_t es = dtype_size(dtype);
    std::byte* p = t.raw_data();
    if (dtype == DType::F32) {
        std::fill_n(reinterpret_cast<float*>(p), n, value);
    } else {
        for (int64_t i = 0; i < n; ++i) std::memcpy(p + i * es, one, es);
    }
    return t;
}

Tensor Tensor::from_vector(const Shape& shape, std::span<const float> values) {
    const int64_t n = shape_numel(shape);
    if (static_cast<size_t>(n) != values.size())
        fail("Tensor::from_vector: shape " + shape_string(shape) + " needs " + std::to_string(n) +
             " values, got " + std::to_string(values.size()));
    Tensor t = zeros(shape, DType::F32);
    if (n) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(float));
    return t;
}

int64_t Tensor::size(int64_t d) const { return shape_[normalize_dim(d, dim(), "Tensor::size")]; }

int64_t Tensor::numel() const { return shape_numel(shape_); }

bool Tensor::is_contiguous() const {
    int64_t expected = 1;
    for (int64_t i = dim() - 1; i >= 0; --i) {
        if (shape_[i] == 0) return true;
        if (shape_[i] != 1 && strides_[i] != expected) return false;
        expected *= shape_[i];
    }
    return true;
}

std::byte* Tensor::raw_data() const { return storage_ ? storage_->data() + offset_ : nullptr; }

Tensor Tensor::contiguous() const {
    if (!defined() || is_contiguous()) return *this;
    Tensor out = uninitialized(shape_, dtype_);
    copy_to_contiguous(*this, out.raw_data());
    return out;
}

Tensor Tensor::clone() const {
    if (!defined()) return *this;
    Tensor out = uninitialized(shape_, dtype_);
    if (is_contiguous()) {
        if (numel()) std::memcpy(out.raw_data(), raw_data(), nbytes());
    } else {
        copy_to_contiguous(*this, out.raw_data());
    }
    return out;
}

Tensor Tensor::to(DType target) const {
    if (!defined()) fail("Tensor::to: undefined tensor");
    if (target == dtype_) return contiguous();
    const Tensor src = contiguous();
    Tensor out = uninitialized(shape_, target);
    convert_elements(src.raw_data(), dtype_, out.raw_data(), target, static_cast<size_t>(numel()));
    return out;
}

Tensor Tensor::reshape(const Shape& new_shape) const {
    if (!defined()) fail("Tensor::reshape: undefined tensor");
    Shape shape = new_shape;
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (infer >= 0) fail("Tensor::reshape: more than one -1 in " + shape_string(new_shape));
            infer = static_cast<int64_t>(i);
        } else if (shape[i] < 0) {
            fail("Tensor::reshape: negative dimension in " + shape_string(new_shape));
        } else {
            known *= shape[i];
        }
    }
    const int64_t n = numel();
    if (infer >= 0) {
        if (known == 0 || n % known != 0)
            fail("Tensor::reshape: cannot reshape " + describe() + " into " + shape_string(new_shape));
        shape[infer] = n / known;
    }
    if (shape_numel(shape) != n)
        fail("Tensor::reshape: cannot reshape " + describe() + " into " + shape_string(new_shape));
    const Tensor src = contiguous();
    return Tensor(src.storage_, dtype_, shape, contiguous_strides(shape), src.offset_);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end) const {
    if (!defined()) fail("Tensor::slice: undefined tensor");
    const int64_t dd = normalize_dim(d, dim(), "Tensor::slice");
    const int64_t n = shape_[dd];
    // Python slice rules: negative indices count from the end, then clamp to [0, n].
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, start, n);
    Shape shape = shape_;
    shape[dd] = end - start;
    const size_t offset = offset_ + static_cast<size_t>(start * strides_[dd]) * dtype_size(dtype_);
    if (end == start) return Tensor(storage_, dtype_, shape, strides_, offset_);
    return Tensor(storage_, dtype_, shape, strides_, offset);
}

Tensor Tensor::permute(const std::vector<int64_t>& order) const {
    if (!defined()) fail("Tensor::permute: undefined tensor");
    if (static_cast<int64_t>(order.size()) != dim())
        fail("Tensor::permute: order has " + std::to_string(order.size()) + " entries for " + describe());
    Shape shape(order.size());
    std::vector<int64_t> strides(order.size());
    std::vector<bool> seen(order.size(), false);
    for (size_t i = 0; i < order.size(); ++i) {
        const int64_t s = normalize_dim(order[i], dim(), "Tensor::permute");
        if (seen[s]) fail("Tensor::permute: dimension " + std::to_string(s) + " repeated");
        seen[s] = true;
        shape[i] = shape_[s];
        strides[i] = strides_[s];
    }
    return Tensor(storage_, dtype_, shape, strides, offset_);
}

std::string Tensor::describe() const {
    if (!defined()) return "undefined tensor";
    return std::string(dtype_name(dtype_)) + " " + shape_string(shape_);
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
    std::vector<int64_t> strides(shape.size());
    int64_t s = 1;
    for (size_t i = shape.size(); i-- > 0;) {
        strides[i] = s;
        s *= std::max<int64_t>(shape[i], 1);
    }
    return strides;
}

int64_t shape_numel(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) fail("negative dimension in shape " + shape_string(shape));
        n *= d;
    }
    return n;
}

std::string shape_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

}  // namespace weft
