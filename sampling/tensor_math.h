// sampling/tensor_math.h — the few elementwise float32 operations the samplers need.
//
// Samplers combine whole latents with scalar coefficients (x' = a*x + b*denoised + c*noise), so
// one fused linear-combination loop covers almost everything. Inputs are converted to contiguous
// F32 when they are not already; results are new tensors (value semantics).
#pragma once

#include <weft/error.h>
#include <weft/tensor.h>

#include <initializer_list>
#include <utility>

namespace weft::models::tm {

/// `t` as a contiguous F32 tensor (no copy when it already is one).
inline Tensor f32(const Tensor& t) {
    if (t.dtype() == DType::F32 && t.is_contiguous()) return t;
    return t.to(DType::F32).contiguous();
}

/// sum_k coef_k * t_k; all tensors must have the same number of elements.
inline Tensor lincomb(std::initializer_list<std::pair<float, Tensor>> terms) {
    if (terms.size() == 0) throw Error(ErrorCode::InvalidInput, "lincomb: no terms");
    const Tensor& first = terms.begin()->second;
    Tensor out = Tensor::zeros(first.shape(), DType::F32);
    float* o = out.data<float>();
    const int64_t n = out.numel();
    for (const auto& [c, t] : terms) {
        if (t.numel() != n)
            throw Error(ErrorCode::InvalidInput, "lincomb: size mismatch " + first.describe() + " vs " + t.describe());
        const Tensor src = f32(t);
        const float* s = src.data<float>();
        for (int64_t i = 0; i < n; ++i) o[i] += c * s[i];
    }
    return out;
}

inline Tensor scaled(const Tensor& x, float a) { return lincomb({{a, x}}); }
inline Tensor axpby(float a, const Tensor& x, float b, const Tensor& y) { return lincomb({{a, x}, {b, y}}); }
inline Tensor sub(const Tensor& x, const Tensor& y) { return lincomb({{1.0f, x}, {-1.0f, y}}); }

}  // namespace weft::models::tm
