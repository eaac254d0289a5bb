// tensor/eigen_map.h — Eigen views of F32 tensors, for expression math without copies.
//
//   weft::Tensor x = weft::Tensor::zeros({4, 8});
//   weft::eigen_array(x) = weft::eigen_array(a) * 0.5f + weft::eigen_array(b);  // elementwise
//   auto m = weft::eigen_matrix(x);      // 4 x 8 row-major matrix view (rows = all but last dim)
//
// Every function checks dtype F32 (and contiguity where required) and throws weft::Error otherwise.
// The maps alias the tensor's storage: keep the tensor alive while using them.
#pragma once

#include <weft/error.h>
#include <weft/tensor.h>

#include <Eigen/Core>

#include <algorithm>

#include <string>

namespace weft {

using EigenRowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using EigenMatrixMap = Eigen::Map<EigenRowMatrix, Eigen::Unaligned>;
using EigenArrayMap = Eigen::Map<Eigen::ArrayXf, Eigen::Unaligned>;
using EigenStridedMatrixMap = Eigen::Map<EigenRowMatrix, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

namespace detail {
inline void require_f32(const Tensor& t, const char* what, bool contiguous) {
    if (!t.defined() || t.dtype() != DType::F32)
        throw Error(ErrorCode::TensorError, std::string(what) + ": needs an F32 tensor, got " + t.describe());
    if (contiguous && !t.is_contiguous())
        throw Error(ErrorCode::TensorError, std::string(what) + ": needs a contiguous tensor, got a strided " + t.describe());
}
}  // namespace detail

/// All elements as a flat array (contiguous F32).
inline EigenArrayMap eigen_array(const Tensor& t) {
    detail::require_f32(t, "eigen_array", true);
    return EigenArrayMap(t.data<float>(), static_cast<Eigen::Index>(t.numel()));
}

/// A contiguous F32 tensor as a row-major [rows, numel / rows] matrix; `rows` < 0 means the product
/// of all dimensions but the last (a 1-d tensor is one row).
inline EigenMatrixMap eigen_matrix(const Tensor& t, int64_t rows = -1) {
    detail::require_f32(t, "eigen_matrix", true);
    const int64_t n = t.numel();
    if (rows < 0) rows = t.dim() <= 1 ? 1 : n / std::max<int64_t>(t.size(-1), 1);
    if (rows == 0 ? n != 0 : n % rows != 0)
        throw Error(ErrorCode::TensorError, "eigen_matrix: " + t.describe() + " does not split into " + std::to_string(rows) + " rows");
    const int64_t cols = rows ? n / rows : 0;
    return EigenMatrixMap(t.data<float>(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
}

/// Any 2-d F32 tensor (a transpose or slice, say) as a strided matrix view.
inline EigenStridedMatrixMap eigen_strided_matrix(const Tensor& t) {
    detail::require_f32(t, "eigen_strided_matrix", false);
    if (t.dim() != 2) throw Error(ErrorCode::TensorError, "eigen_strided_matrix: needs a 2-d tensor, got " + t.describe());
    return EigenStridedMatrixMap(t.data<float>(), t.size(0), t.size(1),
                                 Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(t.strides()[0], t.strides()[1]));
}

}  // namespace weft
