// tests/models/upscale_reference.h — plain-loop reference implementations of the upscaler layers,
// written from the formulas (no oneDNN, no op library), for the ESRGAN and SRVGG tests.
#pragma once

#include <weft/tensor.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weft::testing::ref_up {

/// One image, channels first.
struct Img {
    int64_t c = 0, h = 0, w = 0;
    std::vector<double> v;
    Img() = default;
    Img(int64_t c_, int64_t h_, int64_t w_) : c(c_), h(h_), w(w_), v(static_cast<size_t>(c_ * h_ * w_), 0.0) {}
    double& at(int64_t ch, int64_t y, int64_t x) { return v[static_cast<size_t>((ch * h + y) * w + x)]; }
    double at(int64_t ch, int64_t y, int64_t x) const { return v[static_cast<size_t>((ch * h + y) * w + x)]; }
};

/// Item `b` of an F32 [N, C, H, W] tensor.
inline Img from_tensor(const Tensor& t, int64_t b = 0) {
    const Tensor c = t.contiguous();
    Img out(t.size(1), t.size(2), t.size(3));
    const float* p = c.data<float>() + b * out.c * out.h * out.w;
    for (size_t i = 0; i < out.v.size(); ++i) out.v[i] = p[i];
    return out;
}

/// 3×3 (any odd k) convolution, zero padding k/2, weight [out, in, k, k], bias [out].
inline Img conv(const Img& x, const Tensor& weight, const Tensor& bias) {
    const int64_t co = weight.size(0), ci = weight.size(1), k = weight.size(2), r = k / 2;
    const float* w = weight.data<float>();
    const float* b = bias.data<float>();
    Img y(co, x.h, x.w);
    for (int64_t o = 0; o < co; ++o)
        for (int64_t yy = 0; yy < x.h; ++yy)
            for (int64_t xx = 0; xx < x.w; ++xx) {
                double s = b[o];
                for (int64_t i = 0; i < ci; ++i)
                    for (int64_t ky = 0; ky < k; ++ky)
                        for (int64_t kx = 0; kx < k; ++kx) {
                            const int64_t sy = yy + ky - r, sx = xx + kx - r;
                            if (sy < 0 || sy >= x.h || sx < 0 || sx >= x.w) continue;
                            s += w[((o * ci + i) * k + ky) * k + kx] * x.at(i, sy, sx);
                        }
                y.at(o, yy, xx) = s;
            }
    return y;
}

inline Img conv(const Img& x, const std::map<std::string, Tensor>& m, const std::string& name) {
    return conv(x, m.at(name + ".weight"), m.at(name + ".bias"));
}

inline Img leaky(Img x, double slope = 0.2) {
    for (double& v : x.v) v = v > 0 ? v : v * slope;
    return x;
}

inline Img prelu(Img x, const Tensor& slope) {
    for (int64_t c = 0; c < x.c; ++c)
        for (int64_t i = 0; i < x.h * x.w; ++i) {
            double& v = x.v[static_cast<size_t>(c * x.h * x.w + i)];
            if (v < 0) v *= slope.data<float>()[c];
        }
    return x;
}

inline Img cat(const Img& a, const Img& b) {
    Img y(a.c + b.c, a.h, a.w);
    std::copy(a.v.begin(), a.v.end(), y.v.begin());
    std::copy(b.v.begin(), b.v.end(), y.v.begin() + static_cast<std::ptrdiff_t>(a.v.size()));
    return y;
}

/// a·s + b.
inline Img axpy(const Img& a, double s, const Img& b) {
    Img y = b;
    for (size_t i = 0; i < y.v.size(); ++i) y.v[i] += a.v[i] * s;
    return y;
}

/// Nearest-neighbour upsampling by an integer factor.
inline Img nearest(const Img& x, int64_t f) {
    Img y(x.c, x.h * f, x.w * f);
    for (int64_t c = 0; c < x.c; ++c)
        for (int64_t yy = 0; yy < y.h; ++yy)
            for (int64_t xx = 0; xx < y.w; ++xx) y.at(c, yy, xx) = x.at(c, yy / f, xx / f);
    return y;
}

/// Reflect padding at the bottom and right (torch 'reflect': the edge is not repeated).
inline Img reflect_pad_end(const Img& x, int64_t ph, int64_t pw) {
    Img y(x.c, x.h + ph, x.w + pw);
    auto refl = [](int64_t p, int64_t n) { return p < n ? p : 2 * (n - 1) - p; };
    for (int64_t c = 0; c < x.c; ++c)
        for (int64_t yy = 0; yy < y.h; ++yy)
            for (int64_t xx = 0; xx < y.w; ++xx) y.at(c, yy, xx) = x.at(c, refl(yy, x.h), refl(xx, x.w));
    return y;
}

/// out[c·r² + i·r + j][y][x] = in[c][y·r + i][x·r + j].
inline Img unshuffle(const Img& x, int64_t r) {
    Img y(x.c * r * r, x.h / r, x.w / r);
    for (int64_t c = 0; c < x.c; ++c)
        for (int64_t i = 0; i < r; ++i)
            for (int64_t j = 0; j < r; ++j)
                for (int64_t yy = 0; yy < y.h; ++yy)
                    for (int64_t xx = 0; xx < y.w; ++xx) y.at(c * r * r + i * r + j, yy, xx) = x.at(c, yy * r + i, xx * r + j);
    return y;
}

/// out[c][y·r + i][x·r + j] = in[c·r² + i·r + j][y][x].
inline Img shuffle(const Img& x, int64_t r) {
    Img y(x.c / (r * r), x.h * r, x.w * r);
    for (int64_t c = 0; c < y.c; ++c)
        for (int64_t i = 0; i < r; ++i)
            for (int64_t j = 0; j < r; ++j)
                for (int64_t yy = 0; yy < x.h; ++yy)
                    for (int64_t xx = 0; xx < x.w; ++xx) y.at(c, yy * r + i, xx * r + j) = x.at(c * r * r + i * r + j, yy, xx);
    return y;
}

inline Img crop(const Img& x, int64_t h, int64_t w) {
    Img y(x.c, h, w);
    for (int64_t c = 0; c < x.c; ++c)
        for (int64_t yy = 0; yy < h; ++yy)
            for (int64_t xx = 0; xx < w; ++xx) y.at(c, yy, xx) = x.at(c, yy, xx);
    return y;
}

/// Largest |a − b| relative to max(1, max |b|).
inline double max_rel_diff(const Img& got, const Img& want) {
    double m = 0, scale = 1;
    for (double v : want.v) scale = std::max(scale, std::abs(v));
    for (size_t i = 0; i < want.v.size(); ++i) m = std::max(m, std::abs(got.v[i] - want.v[i]));
    return m / scale;
}

}  // namespace weft::testing::ref_up
