// Reference implementations of the elementwise, norm and layout ops: one output element at a time,
// from its multi-index, in double. Clarity over speed.
#include "elementwise.h"
#include "ops_common.h"
#include "reference.h"

#include <cmath>
#include <functional>

namespace weft::ops::ref {
namespace {

using detail::check_f32;

std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
    std::vector<int64_t> idx(shape.size());
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    return idx;
}

// Offset in elements of the broadcast source `t` (contiguous) at output index `idx`.
int64_t broadcast_offset(const Tensor& t, const std::vector<int64_t>& idx) {
    const int64_t lead = static_cast<int64_t>(idx.size()) - t.dim();
    int64_t off = 0;
    for (int64_t d = 0; d < t.dim(); ++d) {
        off = off * t.shape()[d] + (t.shape()[d] == 1 ? 0 : idx[lead + d]);
    }
    return off;
}

Tensor binary(const Tensor& a0, const Tensor& b0, const char* op, const std::function<double(double, double)>& f) {
    check_f32(a0, op, "a");
    check_f32(b0, op, "b");
    Shape out_shape = broadcast_shapes(a0.shape(), b0.shape(), op);
    Tensor a = a0.contiguous(), b = b0.contiguous();
    Tensor out = Tensor::zeros(out_shape);
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    float* po = out.data<float>();
    for (int64_t i = 0; i < out.numel(); ++i) {
        auto idx = unravel(i, out_shape);
        po[i] = static_cast<float>(f(pa[broadcast_offset(a, idx)], pb[broadcast_offset(b, idx)]));
    }
    return out;
}

Tensor unary(const Tensor& x0, const char* op, const std::function<double(double)>& f) {
    check_f32(x0, op, "x");
    Tensor x = x0.contiguous();
    Tensor out = Tensor::zeros(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) out.data<float>()[i] = static_cast<float>(f(x.data<float>()[i]));
    return out;
}

double gelu_erf(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(a, b, "add", std::plus<double>()); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(a, b, "sub", std::minus<double>()); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(a, b, "mul", std::multiplies<double>()); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(a, b, "div", std::divides<double>()); }

Tensor silu(const Tensor& x) {
    return unary(x, "silu", [](double v) { return v / (1.0 + std::exp(-v)); });
}

Tensor gelu(const Tensor& x, bool tanh_approx) {
    if (!tanh_approx) return unary(x, "gelu", gelu_erf);
    return unary(x, "gelu", [](double v) {
        const double c = std::sqrt(2.0 / M_PI);
        return 0.5 * v * (1.0 + std::tanh(c * (v + 0.044715 * v * v * v)));
    });
}

Tensor quick_gelu(const Tensor& x) {
    return unary(x, "quick_gelu", [](double v) { return v / (1.0 + std::exp(-1.702 * v)); });
}

Tensor geglu(const Tensor& x0) {
    check_f32(x0, "geglu", "x");
    Tensor x = x0.contiguous();
    const int64_t n2 = x.size(-1), n = n2 / 2, rows = x.numel() / n2;
    Shape s = x.shape();
    s.back() = n;
    Tensor out = Tensor::zeros(s);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < n; ++i) {
            double a = x.data<float>()[r * n2 + i], g = x.data<float>()[r * n2 + n + i];
            out.data<float>()[r * n + i] = static_cast<float>(a * gelu_erf(g));
        }
    return out;
}

Tensor softmax(const Tensor& x0) {
    check_f32(x0, "softmax", "x");
    Tensor x = x0.contiguous();
    const int64_t n = x.size(-1), rows = x.numel() / n;
    Tensor out = Tensor::zeros(x.shape());
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x.data<float>() + r * n;
        double m = -INFINITY, sum = 0;
        for (int64_t i = 0; i < n; ++i) m = std::max(m, double(in[i]));
        for (int64_t i = 0; i < n; ++i) sum += std::exp(in[i] - m);
        for (int64_t i = 0; i < n; ++i) out.data<float>()[r * n + i] = static_cast<float>(std::exp(in[i] - m) / sum);
    }
    return out;
}

Tensor group_norm(const Tensor& x0, int64_t groups, const Tensor& w0, const Tensor& b0, float eps) {
    check_f32(x0, "group_norm", "x");
    Tensor x = x0.contiguous();
    const int64_t N = x.size(0), C = x.size(1), inner = x.numel() / (N * C), cg = C / groups;
    Tensor w = w0.defined() ? w0.contiguous() : Tensor::full({C}, 1.0f);
    Tensor b = b0.defined() ? b0.contiguous() : Tensor::zeros({C});
    Tensor out = Tensor::zeros(x.shape());
    for (int64_t n = 0; n < N; ++n)
        for (int64_t g = 0; g < groups; ++g) {
            const int64_t base = (n * C + g * cg) * inner, count = cg * inner;
            double mean = 0, var = 0;
            for (int64_t i = 0; i < count; ++i) mean += x.data<float>()[base + i];
            mean /= count;
            for (int64_t i = 0; i < count; ++i) {
                double d = x.data<float>()[base + i] - mean;
                var += d * d;
            }
            var /= count;
            const double inv = 1.0 / std::sqrt(var + eps);
            for (int64_t c = 0; c < cg; ++c)
                for (int64_t i = 0; i < inner; ++i) {
                    const int64_t at = base + c * inner + i, ch = g * cg + c;
                    out.data<float>()[at] = static_cast<float>((x.data<float>()[at] - mean) * inv * w.data<float>()[ch] +
                                                               b.data<float>()[ch]);
                }
        }
    return out;
}

Tensor layer_norm(const Tensor& x0, const Tensor& w0, const Tensor& b0, float eps) {
    check_f32(x0, "layer_norm", "x");
    Tensor x = x0.contiguous();
    const int64_t D = x.size(-1), rows = x.numel() / D;
    Tensor w = w0.defined() ? w0.contiguous() : Tensor::full({D}, 1.0f);
    Tensor b = b0.defined() ? b0.contiguous() : Tensor::zeros({D});
    Tensor out = Tensor::zeros(x.shape());
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x.data<float>() + r * D;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < D; ++i) mean += in[i];
        mean /= D;
        for (int64_t i = 0; i < D; ++i) var += (in[i] - mean) * (in[i] - mean);
        var /= D;
        const double inv = 1.0 / std::sqrt(var + eps);
        for (int64_t i = 0; i < D; ++i)
            out.data<float>()[r * D + i] = static_cast<float>((in[i] - mean) * inv * w.data<float>()[i] + b.data<float>()[i]);
    }
    return out;
}

Tensor concat(const std::vector<Tensor>& parts, int64_t dim) {
    const int64_t nd = parts.at(0).dim();
    const int64_t d = dim < 0 ? dim + nd : dim;
    Shape s = parts[0].shape();
    s[d] = 0;
    for (const auto& p : parts) s[d] += p.size(d);
    Tensor out = Tensor::zeros(s);
    for (int64_t i = 0; i < out.numel(); ++i) {
        auto idx = unravel(i, s);
        int64_t k = idx[d];
        size_t which = 0;
        while (k >= parts[which].size(d)) k -= parts[which++].size(d);
        Tensor p = parts[which].contiguous();
        idx[d] = k;
        int64_t off = 0;
        for (int64_t j = 0; j < nd; ++j) off = off * p.shape()[j] + idx[j];
        out.data<float>()[i] = p.data<float>()[off];
    }
    return out;
}

Tensor pad(const Tensor& x0, const std::vector<int64_t>& pads, PadMode mode, float value) {
    Tensor x = x0.contiguous();
    const int64_t nd = x.dim(), np = static_cast<int64_t>(pads.size()) / 2;
    Shape s = x.shape();
    for (int64_t j = 0; j < np; ++j) s[nd - 1 - j] += pads[2 * j] + pads[2 * j + 1];
    Tensor out = Tensor::zeros(s);
    for (int64_t i = 0; i < out.numel(); ++i) {
        auto idx = unravel(i, s);
        bool outside = false;
        for (int64_t j = 0; j < np; ++j) {
            const int64_t d = nd - 1 - j, n = x.shape()[d];
            int64_t k = idx[d] - pads[2 * j];
            if (k < 0 || k >= n) {
                if (mode == PadMode::Constant) outside = true;
                else if (mode == PadMode::Replicate) k = k < 0 ? 0 : n - 1;
                else k = k < 0 ? -k : 2 * (n - 1) - k;
            }
            idx[d] = k;
        }
        if (outside) {
            out.data<float>()[i] = value;
            continue;
        }
        int64_t off = 0;
        for (int64_t d = 0; d < nd; ++d) off = off * x.shape()[d] + idx[d];
        out.data<float>()[i] = x.data<float>()[off];
    }
    return out;
}

Tensor pixel_shuffle(const Tensor& x0, int64_t r) {
    Tensor x = x0.contiguous();
    const int64_t N = x.size(0), C = x.size(1) / (r * r), H = x.size(2), W = x.size(3);
    Tensor out = Tensor::zeros({N, C, H * r, W * r});
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t y = 0; y < H * r; ++y)
                for (int64_t xx = 0; xx < W * r; ++xx) {
                    const int64_t src_c = c * r * r + (y % r) * r + (xx % r);
                    out.data<float>()[((n * C + c) * H * r + y) * W * r + xx] =
                        x.data<float>()[((n * C * r * r + src_c) * H + y / r) * W + xx / r];
                }
    return out;
}

Tensor pixel_unshuffle(const Tensor& x0, int64_t r) {
    Tensor x = x0.contiguous();
    const int64_t N = x.size(0), C = x.size(1), H = x.size(2) / r, W = x.size(3) / r;
    Tensor out = Tensor::zeros({N, C * r * r, H, W});
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t y = 0; y < H * r; ++y)
                for (int64_t xx = 0; xx < W * r; ++xx) {
                    const int64_t dst_c = c * r * r + (y % r) * r + (xx % r);
                    out.data<float>()[((n * C * r * r + dst_c) * H + y / r) * W + xx / r] =
                        x.data<float>()[((n * C + c) * H * r + y) * W * r + xx];
                }
    return out;
}

Tensor upsample_nearest(const Tensor& x0, int64_t oh, int64_t ow) {
    Tensor x = x0.contiguous();
    const int64_t NC = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
    Tensor out = Tensor::zeros({x.size(0), x.size(1), oh, ow});
    const float sh = float(H) / float(oh), sw = float(W) / float(ow);
    for (int64_t p = 0; p < NC; ++p)
        for (int64_t y = 0; y < oh; ++y)
            for (int64_t xx = 0; xx < ow; ++xx) {
                const int64_t sy = std::min<int64_t>(int64_t(std::floor(y * sh)), H - 1);
                const int64_t sx = std::min<int64_t>(int64_t(std::floor(xx * sw)), W - 1);
                out.data<float>()[(p * oh + y) * ow + xx] = x.data<float>()[(p * H + sy) * W + sx];
            }
    return out;
}

Tensor upsample_bilinear(const Tensor& x0, int64_t oh, int64_t ow) {
    Tensor x = x0.contiguous();
    const int64_t NC = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
    Tensor out = Tensor::zeros({x.size(0), x.size(1), oh, ow});
    const double sh = double(H) / double(oh), sw = double(W) / double(ow);
    for (int64_t p = 0; p < NC; ++p)
        for (int64_t y = 0; y < oh; ++y)
            for (int64_t xx = 0; xx < ow; ++xx) {
                const double fy = std::max(0.0, (y + 0.5) * sh - 0.5), fx = std::max(0.0, (xx + 0.5) * sw - 0.5);
                const int64_t y0 = int64_t(fy), x0i = int64_t(fx);
                const int64_t y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0i + 1, W - 1);
                const double ly = fy - y0, lx = fx - x0i;
                auto at = [&](int64_t yy, int64_t xv) { return double(x.data<float>()[(p * H + yy) * W + xv]); };
                out.data<float>()[(p * oh + y) * ow + xx] = static_cast<float>(
                    (1 - ly) * ((1 - lx) * at(y0, x0i) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0i) + lx * at(y1, x1)));
            }
    return out;
}

}  // namespace weft::ops::ref
