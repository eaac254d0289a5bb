// Group and layer norm: statistics in double (two passes: mean, then squared deviations, which
// avoids the cancellation of E[x²] − E[x]²), then one scale-and-shift pass per channel.
#include "norm.h"

#include "ops_common.h"
#include "vec_math.h"

#include "../convert.h"

#include <tbb/parallel_for.h>

#include <cmath>

namespace weft::ops {

using detail::check;
using detail::check_f32;

namespace {

// Checks an optional affine parameter of `n` elements and returns it as a contiguous F32 tensor.
Tensor affine(const Tensor& t, int64_t n, const char* op, const char* name) {
    if (!t.defined()) return t;
    check(t.numel() == n && (t.dim() == 1 || t.numel() == 1), op, [&] {
        return std::string(name) + " must be [" + std::to_string(n) + "], got " + t.describe();
    });
    return t.to(DType::F32);
}

}  // namespace

namespace {

template <bool Silu>
Tensor group_norm_impl(const Tensor& x0, int64_t groups, const Tensor& weight, const Tensor& bias, float eps) {
    check_f32(x0, "group_norm", "x");
    check(x0.dim() >= 2, "group_norm", [&] { return "x must be [N, C, ...], got " + x0.describe(); });
    const int64_t N = x0.size(0), C = x0.size(1);
    check(groups > 0 && C % groups == 0, "group_norm", [&] {
        return std::to_string(C) + " channels of " + x0.describe() + " do not split into " + std::to_string(groups) +
               " groups";
    });
    Tensor w = affine(weight, C, "group_norm", "weight"), b = affine(bias, C, "group_norm", "bias");
    Tensor x = detail::dense(x0);
    Tensor out = detail::empty(x.shape());
    const int64_t inner = C == 0 || N == 0 ? 0 : x.numel() / (N * C), cg = C / groups;
    const float* px = x.data<float>();
    const float* pw = w.defined() ? w.data<float>() : nullptr;
    const float* pb = b.defined() ? b.data<float>() : nullptr;
    float* po = out.data<float>();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, N * groups, 1), [&](const auto& r) {
        for (int64_t ng = r.begin(); ng < r.end(); ++ng) {
            const int64_t g = ng % groups, base = ng * cg * inner, count = cg * inner;
            const double mean = vm::sum(px + base, count) / double(count);
            const double var = vm::sum_sq_dev(px + base, count, mean) / double(count);
            const double inv = 1.0 / std::sqrt(var + double(eps));
            // (x − mean)·scale + bias rather than x·scale + shift: the latter cancels badly when the
            // variance is tiny next to the mean.
            const float m = float(mean);
            for (int64_t c = 0; c < cg; ++c) {
                const int64_t ch = g * cg + c;
                const float scale = float(inv * (pw ? pw[ch] : 1.0f));
                const float shift = pb ? pb[ch] : 0.0f;
                const float* src = px + base + c * inner;
                float* dst = po + base + c * inner;
                if constexpr (Silu) {
                    for (int64_t i = 0; i < inner; ++i) {
                        const float v = (src[i] - m) * scale + shift;
                        dst[i] = v * vm::sigmoid(v);
                    }
                } else {
                    for (int64_t i = 0; i < inner; ++i) dst[i] = (src[i] - m) * scale + shift;
                }
            }
        }
    });
    return out;
}

}  // namespace

Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps) {
    return group_norm_impl<false>(x, groups, weight, bias, eps);
}

Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps) {
    return group_norm_impl<true>(x, groups, weight, bias, eps);
}

Tensor layer_norm(const Tensor& x0, const Tensor& weight, const Tensor& bias, float eps, DType out_dtype) {
    check_f32(x0, "layer_norm", "x");
    check(out_dtype == DType::F32 || out_dtype == DType::BF16, "layer_norm", [&] {
        return std::string("output dtype must be F32 or BF16, got ") + dtype_name(out_dtype);
    });
    check(x0.dim() >= 1 && x0.size(-1) > 0, "layer_norm", [&] { return "x must have a last dimension, got " + x0.describe(); });
    const int64_t D = x0.size(-1);
    Tensor w = affine(weight, D, "layer_norm", "weight"), b = affine(bias, D, "layer_norm", "bias");
    Tensor x = detail::dense(x0);
    Tensor out = detail::empty(x.shape(), out_dtype);
    const int64_t rows = x.numel() / D;
    const bool bf16 = out_dtype == DType::BF16;
    const float* px = x.data<float>();
    const float* pw = w.defined() ? w.data<float>() : nullptr;
    const float* pb = b.defined() ? b.data<float>() : nullptr;
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, std::max<int64_t>(1, detail::kGrain / D)), [&](const auto& r) {
        std::vector<float> row_buf(bf16 ? D : 0);
        for (int64_t row = r.begin(); row < r.end(); ++row) {
            const float* src = px + row * D;
            float* dst = bf16 ? row_buf.data() : out.data<float>() + row * D;
            const double mean = vm::sum(src, D) / double(D);
            const double var = vm::sum_sq_dev(src, D, mean) / double(D);
            const float inv = float(1.0 / std::sqrt(var + double(eps)));
            const float m = float(mean);
            if (pw && pb)
                for (int64_t i = 0; i < D; ++i) dst[i] = (src[i] - m) * inv * pw[i] + pb[i];
            else
                for (int64_t i = 0; i < D; ++i) dst[i] = (src[i] - m) * inv * (pw ? pw[i] : 1.0f) + (pb ? pb[i] : 0.0f);
            if (bf16)
                convert_f32_to_bf16(std::span<const float>(dst, size_t(D)),
                                    std::span<uint16_t>(out.data<uint16_t>() + row * D, size_t(D)));
        }
    });
    return out;
}

}  // namespace weft::ops
