#include "ops_common.h"

#include "pooled_storage.h"

#include <cstdlib>
#include <new>

namespace weft::ops::detail {

bool is_channels_last(const Tensor& t) {
    if (!t.defined() || t.dim() != 4) return false;
    const int64_t C = t.size(1), H = t.size(2), W = t.size(3);
    const auto& st = t.strides();
    return st[0] == H * W * C && st[1] == 1 && st[2] == W * C && st[3] == C;
}

Tensor empty_channels_last(const Shape& nchw, DType dtype) {
    return empty({nchw[0], nchw[2], nchw[3], nchw[1]}, dtype).permute({0, 3, 1, 2});
}

Tensor empty(const Shape& shape, DType dtype) {
    const size_t nbytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
    std::shared_ptr<Storage> storage;
    if (nbytes >= kPooledMinBytes) {
        storage = pooled_storage(nbytes);
    } else {
        const size_t rounded = (nbytes + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
        if (!p) throw std::bad_alloc();
        storage = std::make_shared<Storage>(p, nbytes, [p] { std::free(p); });
    }
    return Tensor(std::move(storage), dtype, shape, contiguous_strides(shape));
}

void fail(std::string_view op, const std::string& what) {
    throw Error(ErrorCode::TensorError, std::string(op) + ": " + what);
}

void check_f32(const Tensor& t, std::string_view op, std::string_view name, int64_t rank) {
    if (!t.defined()) fail(op, std::string(name) + " is undefined");
    if (t.dtype() != DType::F32)
        fail(op, std::string(name) + " must be F32, got " + t.describe());
    if (rank >= 0 && t.dim() != rank)
        fail(op, std::string(name) + " must have " + std::to_string(rank) + " dimensions, got " + t.describe());
}

void check_float(const Tensor& t, std::string_view op, std::string_view name, int64_t rank) {
    if (!t.defined()) fail(op, std::string(name) + " is undefined");
    if (t.dtype() != DType::F32 && t.dtype() != DType::BF16)
        fail(op, std::string(name) + " must be F32 or BF16, got " + t.describe());
    if (rank >= 0 && t.dim() != rank)
        fail(op, std::string(name) + " must have " + std::to_string(rank) + " dimensions, got " + t.describe());
}

}  // namespace weft::ops::detail
