// Reference matmul, linear, conv2d and attention: direct loops accumulating in double. In BF16 mode
// the inputs and weights are first rounded to bfloat16, as the fast path rounds them.
#include "elementwise.h"
#include "ops_common.h"
#include "reference.h"

#include "core/convert.h"

#include <cmath>

namespace weft::ops::ref {
namespace {

Tensor rounded(const Tensor& t, Compute mode) {
    Tensor c = t.to(DType::F32).clone();
    if (mode == Compute::BF16)
        for (int64_t i = 0; i < c.numel(); ++i) c.data<float>()[i] = bf16_to_f32(f32_to_bf16(c.data<float>()[i]));
    return c;
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0, Compute mode) {
    Tensor a = rounded(a0, mode), b = rounded(b0, mode);
    const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
    Shape ab(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
    Shape batch = broadcast_shapes(ab, bb, "matmul");
    Shape os = batch;
    os.push_back(M);
    os.push_back(N);
    Tensor out = Tensor::zeros(os);
    const int64_t nb = shape_numel(batch);
    for (int64_t i = 0; i < nb; ++i) {
        // Unravel the batch index and map it onto each operand's (broadcast) batch dims.
        int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
        for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
            const int64_t idx = rem % batch[d];
            rem /= batch[d];
            const int64_t da = d - (int64_t(batch.size()) - int64_t(ab.size()));
            const int64_t db = d - (int64_t(batch.size()) - int64_t(bb.size()));
            if (da >= 0) {
                ia += (ab[da] == 1 ? 0 : idx) * sa;
                sa *= ab[da];
            }
            if (db >= 0) {
                ib += (bb[db] == 1 ? 0 : idx) * sb;
                sb *= bb[db];
            }
        }
        const float* pa = a.data<float>() + ia * M * K;
        const float* pb = b.data<float>() + ib * K * N;
        float* po = out.data<float>() + i * M * N;
        for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
                double s = 0;
                for (int64_t k = 0; k < K; ++k) s += double(pa[m * K + k]) * pb[k * N + n];
                po[m * N + n] = static_cast<float>(s);
            }
    }
    return out;
}

Tensor linear(const Tensor& x0, const Tensor& w0, const Tensor& b0, Compute mode) {
    Tensor x = rounded(x0, mode), w = rounded(w0, mode);
    const int64_t K = x.size(-1), N = w.size(0), M = x.numel() / K;
    Shape os = x.shape();
    os.back() = N;
    Tensor out = Tensor::zeros(os);
    Tensor b = b0.defined() ? b0.to(DType::F32) : Tensor();
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double s = b.defined() ? b.data<float>()[n] : 0.0;
            for (int64_t k = 0; k < K; ++k) s += double(x.data<float>()[m * K + k]) * w.data<float>()[n * K + k];
            out.data<float>()[m * N + n] = static_cast<float>(s);
        }
    return out;
}

Tensor conv2d(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Conv2dParams& p, Compute mode) {
    Tensor x = rounded(x0, mode), w = rounded(w0, mode);
    const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    const int64_t O = w.size(0), Cg = w.size(1), KH = w.size(2), KW = w.size(3), G = p.groups, Og = O / G;
    const int64_t OH = conv_out_size(H, KH, p.stride[0], p.padding[0], p.dilation[0]);
    const int64_t OW = conv_out_size(W, KW, p.stride[1], p.padding[1], p.dilation[1]);
    Tensor b = b0.defined() ? b0.to(DType::F32) : Tensor();
    Tensor out = Tensor::zeros({N, O, OH, OW});
    const float* px = x.data<float>();
    const float* pw = w.data<float>();
    for (int64_t n = 0; n < N; ++n)
        for (int64_t o = 0; o < O; ++o) {
            const int64_t g = o / Og;
            for (int64_t oy = 0; oy < OH; ++oy)
                for (int64_t ox = 0; ox < OW; ++ox) {
                    double s = b.defined() ? b.data<float>()[o] : 0.0;
                    for (int64_t c = 0; c < Cg; ++c)
                        for (int64_t ky = 0; ky < KH; ++ky) {
                            const int64_t iy = oy * p.stride[0] - p.padding[0] + ky * p.dilation[0];
                            if (iy < 0 || iy >= H) continue;
                            for (int64_t kx = 0; kx < KW; ++kx) {
                                const int64_t ix = ox * p.stride[1] - p.padding[1] + kx * p.dilation[1];
                                if (ix < 0 || ix >= W) continue;
                                s += double(px[((n * C + g * Cg + c) * H + iy) * W + ix]) *
                                     pw[((o * Cg + c) * KH + ky) * KW + kx];
                            }
                        }
                    out.data<float>()[((n * O + o) * OH + oy) * OW + ox] = static_cast<float>(s);
                }
        }
    return out;
}

Tensor attention(const Tensor& q0, const Tensor& k0, const Tensor& v0, const AttentionParams& p, Compute mode) {
    Tensor q = rounded(q0, mode), k = rounded(k0, mode), v = rounded(v0, mode);
    const int64_t B = q.size(0), Hh = q.size(1), Tq = q.size(2), D = q.size(3), Tk = k.size(2), Dv = v.size(3);
    const double scale = p.scale != 0.0f ? p.scale : 1.0 / std::sqrt(double(D));
    Tensor out = Tensor::zeros({B, Hh, Tq, Dv});
    std::vector<double> s(Tk);
    for (int64_t bh = 0; bh < B * Hh; ++bh) {
        const float* pq = q.data<float>() + bh * Tq * D;
        const float* pk = k.data<float>() + bh * Tk * D;
        const float* pv = v.data<float>() + bh * Tk * Dv;
        for (int64_t i = 0; i < Tq; ++i) {
            double m = -INFINITY;
            for (int64_t j = 0; j < Tk; ++j) {
                double d = 0;
                for (int64_t c = 0; c < D; ++c) d += double(pq[i * D + c]) * pk[j * D + c];
                s[j] = (p.causal && j > i) ? -INFINITY : d * scale;
                m = std::max(m, s[j]);
            }
            double sum = 0;
            for (int64_t j = 0; j < Tk; ++j) sum += (s[j] = std::exp(s[j] - m));
            for (int64_t c = 0; c < Dv; ++c) {
                double o = 0;
                for (int64_t j = 0; j < Tk; ++j) o += s[j] * pv[j * Dv + c];
                out.data<float>()[(bh * Tq + i) * Dv + c] = static_cast<float>(o / sum);
            }
        }
    }
    return out;
}

}  // namespace weft::ops::ref
