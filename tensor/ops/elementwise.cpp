// Broadcast arithmetic and activations. Binary ops walk the broadcast shape directly through each
// operand's strides (so strided views and broadcast operands are never materialised), collapsing
// dimensions that are contiguous in all three tensors so the inner loop is long and vectorisable.
#include "elementwise.h"

#include "ops_common.h"
#include "vec_math.h"

#include "core/convert.h"

#include <tbb/parallel_for.h>

#include <cmath>
#include <limits>

namespace weft::ops {

using detail::check;
using detail::check_f32;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (size_t i = 0; i < n; ++i) {
        const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        check(da == db || da == 1 || db == 1, op, [&] {
            return "shapes " + shape_string(a) + " and " + shape_string(b) + " do not broadcast";
        });
        out[i] = da == 1 ? db : da;
    }
    return out;
}

namespace {

enum class Bin { Add, Sub, Mul, Div };

template <Bin B> inline float apply(float x, float y) {
    if constexpr (B == Bin::Add) return x + y;
    if constexpr (B == Bin::Sub) return x - y;
    if constexpr (B == Bin::Mul) return x * y;
    return x / y;
}

template <Bin B> void inner(float* o, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n) {
    if (sa == 1 && sb == 1) {
        for (int64_t i = 0; i < n; ++i) o[i] = apply<B>(a[i], b[i]);
    } else if (sa == 1 && sb == 0) {
        const float y = *b;
        for (int64_t i = 0; i < n; ++i) o[i] = apply<B>(a[i], y);
    } else if (sa == 0 && sb == 1) {
        const float x = *a;
        for (int64_t i = 0; i < n; ++i) o[i] = apply<B>(x, b[i]);
    } else {
        for (int64_t i = 0; i < n; ++i) o[i] = apply<B>(a[i * sa], b[i * sb]);
    }
}

// Operand strides laid over the output shape: 0 on broadcast dimensions.
std::vector<int64_t> broadcast_strides(const Tensor& t, const Shape& out) {
    std::vector<int64_t> s(out.size(), 0);
    const size_t lead = out.size() - t.shape().size();
    for (size_t d = 0; d < t.shape().size(); ++d)
        s[lead + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
    return s;
}

template <Bin B> Tensor binary(const Tensor& a, const Tensor& b, const char* op) {
    check_f32(a, op, "a");
    check_f32(b, op, "b");
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    Tensor out = detail::empty(shape);
    if (out.numel() == 0) return out;

    // Collapse: drop size-1 dims, merge d into d+1 when every operand steps contiguously across them.
    std::vector<int64_t> dims, sa, sb;
    {
        auto fa = broadcast_strides(a, shape), fb = broadcast_strides(b, shape);
        for (size_t d = 0; d < shape.size(); ++d) {
            if (shape[d] == 1) continue;
            if (!dims.empty()) {
                const int64_t n = shape[d];
                const bool mergeable = sa.back() == fa[d] * n && sb.back() == fb[d] * n;
                if (mergeable) {
                    dims.back() *= n;
                    sa.back() = fa[d];
                    sb.back() = fb[d];
                    continue;
                }
            }
            dims.push_back(shape[d]);
            sa.push_back(fa[d]);
            sb.push_back(fb[d]);
        }
        if (dims.empty()) {
            dims = {1};
            sa = {0};
            sb = {0};
        }
    }
    const int64_t nd = static_cast<int64_t>(dims.size());
    const int64_t n_inner = dims.back(), rows = out.numel() / n_inner;
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    float* po = out.data<float>();

    if (rows == 1) {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, n_inner, detail::kGrain), [&](const auto& r) {
            inner<B>(po + r.begin(), pa + r.begin() * sa.back(), sa.back(), pb + r.begin() * sb.back(), sb.back(),
                     r.end() - r.begin());
        });
        return out;
    }
    const int64_t grain = std::max<int64_t>(1, detail::kGrain / n_inner);
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain), [&](const auto& r) {
        for (int64_t row = r.begin(); row < r.end(); ++row) {
            int64_t rem = row, oa = 0, ob = 0;
            for (int64_t d = nd - 2; d >= 0; --d) {
                const int64_t i = rem % dims[d];
                rem /= dims[d];
                oa += i * sa[d];
                ob += i * sb[d];
            }
            inner<B>(po + row * n_inner, pa + oa, sa.back(), pb + ob, sb.back(), n_inner);
        }
    });
    return out;
}

// Applies f to every element of `x` into a new contiguous tensor.
template <class F> Tensor map(const Tensor& x0, const char* op, F f) {
    check_f32(x0, op, "x");
    Tensor x = detail::dense(x0);
    Tensor out = detail::empty(x.shape());
    const float* in = x.data<float>();
    float* o = out.data<float>();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, x.numel(), detail::kGrain), [&](const auto& r) {
        for (int64_t i = r.begin(); i < r.end(); ++i) o[i] = f(in[i]);
    });
    return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary<Bin::Add>(a, b, "add"); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary<Bin::Sub>(a, b, "sub"); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary<Bin::Mul>(a, b, "mul"); }
Tensor div(const Tensor& a, const Tensor& b) { return binary<Bin::Div>(a, b, "div"); }

Tensor add(const Tensor& a0, const Tensor& b0, DType out_type) {
    detail::check_float(a0, "add", "a");
    detail::check_float(b0, "add", "b");
    check(a0.shape() == b0.shape(), "add", [&] { return "a " + a0.describe() + " and b " + b0.describe() + " differ in shape"; });
    check(out_type == DType::F32 || out_type == DType::BF16, "add", [&] { return std::string("output dtype must be F32 or BF16, got ") + dtype_name(out_type); });
    // Two channels-last operands are summed as they lie (and so is the result); otherwise as NCHW.
    const bool channels_last = detail::is_channels_last(a0) && detail::is_channels_last(b0) && !a0.is_contiguous();
    const Tensor a = channels_last ? a0 : detail::dense(a0), b = channels_last ? b0 : detail::dense(b0);
    Tensor out = channels_last ? detail::empty_channels_last(a.shape(), out_type) : detail::empty(a.shape(), out_type);
    // Chunks widened to F32, summed, and stored as the output dtype.
    constexpr int64_t kChunk = 4096;
    auto widen = [](const Tensor& t, int64_t at, int64_t len, float* buf) -> const float* {
        if (t.dtype() == DType::F32) return t.data<float>() + at;
        convert_bf16_to_f32(std::span<const uint16_t>(t.data<uint16_t>() + at, size_t(len)), std::span<float>(buf, size_t(len)));
        return buf;
    };
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, (a.numel() + kChunk - 1) / kChunk, std::max<int64_t>(1, detail::kGrain / kChunk)),
                      [&](const auto& r) {
        float ba[kChunk], bb[kChunk], sum[kChunk];
        for (int64_t c = r.begin(); c < r.end(); ++c) {
            const int64_t at = c * kChunk, len = std::min(kChunk, a.numel() - at);
            const float* pa = widen(a, at, len, ba);
            const float* pb = widen(b, at, len, bb);
            float* dst = out_type == DType::F32 ? out.data<float>() + at : sum;
            for (int64_t i = 0; i < len; ++i) dst[i] = pa[i] + pb[i];
            if (out_type == DType::BF16)
                convert_f32_to_bf16(std::span<const float>(sum, size_t(len)), std::span<uint16_t>(out.data<uint16_t>() + at, size_t(len)));
        }
    });
    return out;
}

Tensor add(const Tensor& a, float s) { return map(a, "add", [s](float v) { return v + s; }); }
Tensor sub(const Tensor& a, float s) { return map(a, "sub", [s](float v) { return v - s; }); }
Tensor mul(const Tensor& a, float s) { return map(a, "mul", [s](float v) { return v * s; }); }
Tensor div(const Tensor& a, float s) { return map(a, "div", [s](float v) { return v / s; }); }

Tensor silu(const Tensor& x) { return map(x, "silu", [](float v) { return v * vm::sigmoid(v); }); }

Tensor gelu(const Tensor& x, bool tanh_approx) {
    if (tanh_approx) return map(x, "gelu", [](float v) { return vm::gelu_tanh(v); });
    return map(x, "gelu", [](float v) { return vm::gelu_erf(v); });
}

Tensor quick_gelu(const Tensor& x) {
    return map(x, "quick_gelu", [](float v) { return v * vm::sigmoid(1.702f * v); });
}

Tensor geglu(const Tensor& x0, DType out_dtype) {
    check_f32(x0, "geglu", "x");
    check(out_dtype == DType::F32 || out_dtype == DType::BF16, "geglu", [&] {
        return std::string("output dtype must be F32 or BF16, got ") + dtype_name(out_dtype);
    });
    check(x0.dim() >= 1 && x0.size(-1) % 2 == 0, "geglu", [&] { return "last dimension must be even, got " + x0.describe(); });
    Tensor x = detail::dense(x0);
    const int64_t n2 = x.size(-1), n = n2 / 2, rows = n2 == 0 ? 0 : x.numel() / n2;
    Shape s = x.shape();
    s.back() = n;
    Tensor out = detail::empty(s, out_dtype);
    const bool bf16 = out_dtype == DType::BF16;
    const float* in = x.data<float>();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, std::max<int64_t>(1, detail::kGrain / std::max<int64_t>(n, 1))),
                      [&](const auto& r) {
                          std::vector<float> row_buf(bf16 ? n : 0);
                          for (int64_t row = r.begin(); row < r.end(); ++row) {
                              const float* a = in + row * n2;
                              const float* g = a + n;
                              float* dst = bf16 ? row_buf.data() : out.data<float>() + row * n;
                              for (int64_t i = 0; i < n; ++i) dst[i] = a[i] * vm::gelu_erf(g[i]);
                              if (bf16)
                                  convert_f32_to_bf16(std::span<const float>(dst, size_t(n)),
                                                      std::span<uint16_t>(out.data<uint16_t>() + row * n, size_t(n)));
                          }
                      });
    return out;
}

Tensor softmax(const Tensor& x0) {
    check_f32(x0, "softmax", "x");
    check(x0.dim() >= 1, "softmax", [&] { return "needs at least one dimension, got " + x0.describe(); });
    Tensor x = detail::dense(x0);
    Tensor out = detail::empty(x.shape());
    const int64_t n = x.size(-1), rows = n == 0 ? 0 : x.numel() / n;
    const float* in = x.data<float>();
    float* o = out.data<float>();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, std::max<int64_t>(1, detail::kGrain / std::max<int64_t>(n, 1))),
                      [&](const auto& r) {
                          for (int64_t row = r.begin(); row < r.end(); ++row) {
                              const float* src = in + row * n;
                              float* dst = o + row * n;
                              const float m = vm::max(src, n);
                              const float inv = 1.0f / vm::exp_shifted(src, dst, n, m);
                              for (int64_t i = 0; i < n; ++i) dst[i] *= inv;
                          }
                      });
    return out;
}

}  // namespace weft::ops
