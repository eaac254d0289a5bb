// Resizing as ComfyUI's common_upscale does it; see resample.h for the semantics of each method.
//
// The separable methods (nearest-exact, bilinear, bicubic) precompute, per output index, the
// source indices and float weights PyTorch's CPU kernel uses, then run a horizontal pass and a
// vertical pass; the sums are accumulated in the same order as PyTorch's nested loop
// (sum over rows of w_row * (sum over columns of w_col * x)), so results match to float rounding.
#include "tensor/resample.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace weft {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw Error(ErrorCode::InvalidInput, msg); }

// Runs body(i) for i in [0, n), in parallel when the total work is large enough to pay for it.
template <class F>
void for_each_index(int64_t n, int64_t work_per_index, F&& body) {
    if (n * work_per_index < (int64_t{1} << 15)) {
        for (int64_t i = 0; i < n; ++i) body(i);
        return;
    }
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, n), [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t i = r.begin(); i != r.end(); ++i) body(i);
    });
}

// Per output index: `taps` source indices and weights.
struct Taps {
    int taps = 1;
    std::vector<int64_t> index;
    std::vector<float> weight;
};

// PyTorch's scale for an output size: input/output in float.
float torch_scale(int64_t in, int64_t out) { return static_cast<float>(in) / static_cast<float>(out); }

Taps nearest_exact_taps(int64_t in, int64_t out) {
    Taps t;
    t.index.resize(static_cast<size_t>(out));
    t.weight.assign(static_cast<size_t>(out), 1.0f);
    const float scale = torch_scale(in, out);
    for (int64_t o = 0; o < out; ++o) {
        // floorf((o + 0.5) * scale): the product is taken in double, then narrowed to float.
        const float src = static_cast<float>((static_cast<double>(o) + 0.5) * static_cast<double>(scale));
        t.index[size_t(o)] = std::min(static_cast<int64_t>(std::floor(src)), in - 1);
    }
    return t;
}

Taps linear_taps(int64_t in, int64_t out) {
    Taps t;
    t.taps = 2;
    t.index.resize(size_t(2 * out));
    t.weight.resize(size_t(2 * out));
    const float scale = torch_scale(in, out);
    for (int64_t o = 0; o < out; ++o) {
        int64_t i0, i1;
        float l0, l1;
        if (in == out) {
            i0 = i1 = o;
            l0 = 1.0f;
            l1 = 0.0f;
        } else {
            float src = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
            if (src < 0.0f) src = 0.0f;
            i0 = static_cast<int64_t>(src);
            i1 = i0 + (i0 < in - 1 ? 1 : 0);
            l1 = std::min(std::max(src - static_cast<float>(i0), 0.0f), 1.0f);
            l0 = 1.0f - l1;
        }
        t.index[size_t(2 * o)] = i0;
        t.index[size_t(2 * o + 1)] = i1;
        t.weight[size_t(2 * o)] = l0;
        t.weight[size_t(2 * o + 1)] = l1;
    }
    return t;
}

Taps cubic_taps(int64_t in, int64_t out) {
    constexpr float A = -0.75f;
    auto conv1 = [](float x) { return ((A + 2.0f) * x - (A + 3.0f)) * x * x + 1.0f; };
    auto conv2 = [](float x) { return ((A * x - 5.0f * A) * x + 8.0f * A) * x - 4.0f * A; };
    Taps t;
    t.taps = 4;
    t.index.resize(size_t(4 * out));
    t.weight.resize(size_t(4 * out));
    const float scale = torch_scale(in, out);
    for (int64_t o = 0; o < out; ++o) {
        // No clamping of the source position for cubic; the taps are clamped to the border.
        const float src = in == out ? static_cast<float>(o) : scale * (static_cast<float>(o) + 0.5f) - 0.5f;
        const int64_t base = static_cast<int64_t>(std::floor(src));
        const float f = src - static_cast<float>(base);
        const float w[4] = {conv2(f + 1.0f), conv1(f), conv1(1.0f - f), conv2(2.0f - f)};
        for (int k = 0; k < 4; ++k) {
            t.index[size_t(4 * o + k)] = std::clamp<int64_t>(base - 1 + k, 0, in - 1);
            t.weight[size_t(4 * o + k)] = w[k];
        }
    }
    return t;
}

// Separable resize of P planes [H, W] -> [oh, ow].
void separable(const float* src, float* dst, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
               const Taps& tx, const Taps& ty) {
    std::vector<float> tmp(static_cast<size_t>(planes * h * ow));
    for_each_index(planes * h, ow * tx.taps, [&](int64_t row) {
        const float* in = src + row * w;
        float* out = tmp.data() + row * ow;
        for (int64_t o = 0; o < ow; ++o) {
            const int64_t* idx = &tx.index[size_t(o * tx.taps)];
            const float* wt = &tx.weight[size_t(o * tx.taps)];
            float acc = in[idx[0]] * wt[0];
            for (int k = 1; k < tx.taps; ++k) acc += in[idx[k]] * wt[k];
            out[o] = acc;
        }
    });
    for_each_index(planes * oh, ow * ty.taps, [&](int64_t prow) {
        const int64_t p = prow / oh, o = prow % oh;
        const float* plane = tmp.data() + p * h * ow;
        float* out = dst + prow * ow;
        const int64_t* idx = &ty.index[size_t(o * ty.taps)];
        const float* wt = &ty.weight[size_t(o * ty.taps)];
        for (int64_t x = 0; x < ow; ++x) {
            float acc = plane[idx[0] * ow + x] * wt[0];
            for (int k = 1; k < ty.taps; ++k) acc += plane[idx[k] * ow + x] * wt[k];
            out[x] = acc;
        }
    });
}

// adaptive_avg_pool2d: window [floor(o*in/out), ceil((o+1)*in/out)), summed row-major in float.
void area(const float* src, float* dst, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow) {
    auto start = [](int64_t o, int64_t out, int64_t in) {
        return static_cast<int64_t>(std::floor(static_cast<float>(o * in) / static_cast<float>(out)));
    };
    auto end = [](int64_t o, int64_t out, int64_t in) {
        return static_cast<int64_t>(std::ceil(static_cast<float>((o + 1) * in) / static_cast<float>(out)));
    };
    for_each_index(planes * oh, ow * 4, [&](int64_t prow) {
        const int64_t p = prow / oh, oy = prow % oh;
        const int64_t y0 = start(oy, oh, h), y1 = end(oy, oh, h);
        const float* plane = src + p * h * w;
        float* out = dst + prow * ow;
        for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t x0 = start(ox, ow, w), x1 = end(ox, ow, w);
            float sum = 0.0f;
            for (int64_t y = y0; y < y1; ++y)
                for (int64_t x = x0; x < x1; ++x) sum += plane[y * w + x];
            out[ox] = sum / static_cast<float>(y1 - y0) / static_cast<float>(x1 - x0);
        }
    });
}

// ---- bislerp ------------------------------------------------------------------------------------

// ComfyUI's bilinear coordinate data: for each new index, the two source indices and the ratio,
// obtained by bilinearly resizing the sequences 0..L-1 and 1..L-1,L-1.
struct SlerpAxis {
    std::vector<int64_t> i1, i2;
    std::vector<float> ratio;
};

SlerpAxis slerp_axis(int64_t old_len, int64_t new_len) {
    const Taps t = linear_taps(old_len, new_len);
    SlerpAxis a;
    a.i1.resize(size_t(new_len));
    a.i2.resize(size_t(new_len));
    a.ratio.resize(size_t(new_len));
    for (int64_t o = 0; o < new_len; ++o) {
        const int64_t j0 = t.index[size_t(2 * o)], j1 = t.index[size_t(2 * o + 1)];
        const float w0 = t.weight[size_t(2 * o)], w1 = t.weight[size_t(2 * o + 1)];
        const float c1 = static_cast<float>(j0) * w0 + static_cast<float>(j1) * w1;
        auto second = [&](int64_t j) { return static_cast<float>(j == old_len - 1 ? j : j + 1); };
        const float c2 = second(j0) * w0 + second(j1) * w1;
        a.ratio[size_t(o)] = c1 - std::floor(c1);
        a.i1[size_t(o)] = static_cast<int64_t>(c1);
        a.i2[size_t(o)] = static_cast<int64_t>(c2);
    }
    return a;
}

// Slerp of two C-vectors (strided) by ratio r into out, with ComfyUI's edge cases.
void slerp(const float* b1, const float* b2, int64_t stride_in, float r, float* out, int64_t stride_out, int64_t c) {
    float n1 = 0, n2 = 0;
    for (int64_t k = 0; k < c; ++k) {
        n1 += b1[k * stride_in] * b1[k * stride_in];
        n2 += b2[k * stride_in] * b2[k * stride_in];
    }
    n1 = std::sqrt(n1);
    n2 = std::sqrt(n2);
    auto norm1 = [&](int64_t k) { return n1 == 0.0f ? 0.0f : b1[k * stride_in] / n1; };
    auto norm2 = [&](int64_t k) { return n2 == 0.0f ? 0.0f : b2[k * stride_in] / n2; };
    float dot = 0;
    for (int64_t k = 0; k < c; ++k) dot += norm1(k) * norm2(k);
    if (dot > 1.0f - 1e-5f) {
        for (int64_t k = 0; k < c; ++k) out[k * stride_out] = b1[k * stride_in];
        return;
    }
    if (dot < 1e-5f - 1.0f) {
        for (int64_t k = 0; k < c; ++k) out[k * stride_out] = b1[k * stride_in] * (1.0f - r) + b2[k * stride_in] * r;
        return;
    }
    const float omega = std::acos(dot);
    const float so = std::sin(omega);
    const float f1 = std::sin((1.0f - r) * omega) / so, f2 = std::sin(r * omega) / so;
    const float scale = n1 * (1.0f - r) + n2 * r;
    for (int64_t k = 0; k < c; ++k) out[k * stride_out] = (f1 * norm1(k) + f2 * norm2(k)) * scale;
}

void bislerp(const float* src, float* dst, int64_t n, int64_t c, int64_t h, int64_t w, int64_t oh, int64_t ow) {
    const SlerpAxis ax = slerp_axis(w, ow), ay = slerp_axis(h, oh);
    std::vector<float> tmp(static_cast<size_t>(n * c * h * ow));
    // Horizontal: along W, every (n, y) row.
    for_each_index(n * h, ow * c * 8, [&](int64_t ny) {
        const int64_t b = ny / h, y = ny % h;
        const float* in = src + b * c * h * w + y * w;
        float* out = tmp.data() + b * c * h * ow + y * ow;
        for (int64_t x = 0; x < ow; ++x)
            slerp(in + ax.i1[size_t(x)], in + ax.i2[size_t(x)], h * w, ax.ratio[size_t(x)], out + x, h * ow, c);
    });
    // Vertical: along H.
    for_each_index(n * oh, ow * c * 8, [&](int64_t ny) {
        const int64_t b = ny / oh, y = ny % oh;
        const float* plane = tmp.data() + b * c * h * ow;
        float* out = dst + b * c * oh * ow + y * ow;
        const float* r1 = plane + ay.i1[size_t(y)] * ow;
        const float* r2 = plane + ay.i2[size_t(y)] * ow;
        for (int64_t x = 0; x < ow; ++x) slerp(r1 + x, r2 + x, h * ow, ay.ratio[size_t(y)], out + x, oh * ow, c);
    });
}

// ---- lanczos (Pillow, 8-bit) ----------------------------------------------------------------------

constexpr int kPrecisionBits = 32 - 8 - 2;

double sinc(double x) {
    if (x == 0.0) return 1.0;
    x *= std::numbers::pi;
    return std::sin(x) / x;
}
double lanczos3(double x) { return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

// Pillow's fixed-point coefficients for one axis.
struct FixedTaps {
    int ksize = 0;
    std::vector<int> xmin, count;
    std::vector<int32_t> k;  // out * ksize
};

FixedTaps lanczos_taps(int64_t in_size, int64_t out_size) {
    const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
    const double filterscale = std::max(scale, 1.0);
    const double support = 3.0 * filterscale;
    FixedTaps t;
    t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
    t.xmin.resize(size_t(out_size));
    t.count.resize(size_t(out_size));
    t.k.assign(size_t(out_size * t.ksize), 0);
    std::vector<double> kk(static_cast<size_t>(t.ksize));
    for (int64_t xx = 0; xx < out_size; ++xx) {
        const double center = (static_cast<double>(xx) + 0.5) * scale;
        const double ss = 1.0 / filterscale;
        int xmin = static_cast<int>(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = static_cast<int>(center + support + 0.5);
        if (xmax > in_size) xmax = static_cast<int>(in_size);
        xmax -= xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; ++x) {
            const double wv = lanczos3((x + xmin - center + 0.5) * ss);
            kk[size_t(x)] = wv;
            ww += wv;
        }
        for (int x = 0; x < xmax; ++x) {
            const double v = ww != 0.0 ? kk[size_t(x)] / ww : kk[size_t(x)];
            const double f = v * static_cast<double>(1 << kPrecisionBits);
            t.k[size_t(xx * t.ksize + x)] = v < 0 ? static_cast<int32_t>(-0.5 + f) : static_cast<int32_t>(0.5 + f);
        }
        t.xmin[size_t(xx)] = xmin;
        t.count[size_t(xx)] = xmax;
    }
    return t;
}

uint8_t clip8(int32_t v) {
    if (v >= (1 << kPrecisionBits << 8)) return 255;
    if (v <= 0) return 0;
    return static_cast<uint8_t>(v >> kPrecisionBits);
}

// One 8-bit plane resized like Pillow's ImagingResample (horizontal pass, then vertical).
std::vector<uint8_t> lanczos_plane(const std::vector<uint8_t>& in, int64_t h, int64_t w, int64_t oh, int64_t ow) {
    std::vector<uint8_t> cur = in;
    int64_t cw = w;
    if (ow != w) {
        const FixedTaps t = lanczos_taps(w, ow);
        std::vector<uint8_t> next(size_t(h * ow));
        for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < ow; ++x) {
                int32_t ss = 1 << (kPrecisionBits - 1);
                const int32_t* k = &t.k[size_t(x * t.ksize)];
                const uint8_t* row = cur.data() + y * w + t.xmin[size_t(x)];
                for (int i = 0; i < t.count[size_t(x)]; ++i) ss += row[i] * k[i];
                next[size_t(y * ow + x)] = clip8(ss);
            }
        cur.swap(next);
        cw = ow;
    }
    if (oh != h) {
        const FixedTaps t = lanczos_taps(h, oh);
        std::vector<uint8_t> next(size_t(oh * cw));
        for (int64_t y = 0; y < oh; ++y) {
            const int32_t* k = &t.k[size_t(y * t.ksize)];
            for (int64_t x = 0; x < cw; ++x) {
                int32_t ss = 1 << (kPrecisionBits - 1);
                for (int i = 0; i < t.count[size_t(y)]; ++i) ss += cur[size_t((t.xmin[size_t(y)] + i) * cw + x)] * k[i];
                next[size_t(y * cw + x)] = clip8(ss);
            }
        }
        cur.swap(next);
    }
    return cur;
}

uint8_t to_u8(float v) {
    float s = v * 255.0f;
    s = std::isnan(s) ? 0.0f : s < 0.0f ? 0.0f : s > 255.0f ? 255.0f : s;
    return static_cast<uint8_t>(s);
}

void lanczos(const float* src, float* dst, int64_t n, int64_t c, int64_t h, int64_t w, int64_t oh, int64_t ow) {
    // Pillow resizes LA and RGBA images premultiplied by alpha (the last channel); at the same
    // size it returns a plain copy, so the values are only quantised.
    const bool alpha = (c == 2 || c == 4) && (oh != h || ow != w);
    for_each_index(n, c * h * w * 64, [&](int64_t b) {
        std::vector<std::vector<uint8_t>> planes(static_cast<size_t>(c));
        for (int64_t ch = 0; ch < c; ++ch) {
            planes[size_t(ch)].resize(size_t(h * w));
            const float* p = src + (b * c + ch) * h * w;
            for (int64_t i = 0; i < h * w; ++i) planes[size_t(ch)][size_t(i)] = to_u8(p[i]);
        }
        if (alpha) {
            const auto& a = planes[size_t(c - 1)];
            for (int64_t ch = 0; ch + 1 < c; ++ch)
                for (int64_t i = 0; i < h * w; ++i) {
                    const unsigned t = unsigned(planes[size_t(ch)][size_t(i)]) * a[size_t(i)] + 128;
                    planes[size_t(ch)][size_t(i)] = static_cast<uint8_t>(((t >> 8) + t) >> 8);
                }
        }
        for (auto& p : planes) p = lanczos_plane(p, h, w, oh, ow);
        if (alpha) {
            const auto& a = planes[size_t(c - 1)];
            for (int64_t ch = 0; ch + 1 < c; ++ch)
                for (int64_t i = 0; i < oh * ow; ++i) {
                    const unsigned av = a[size_t(i)];
                    if (av == 0 || av == 255) continue;
                    planes[size_t(ch)][size_t(i)] = static_cast<uint8_t>(std::min(255u, 255u * planes[size_t(ch)][size_t(i)] / av));
                }
        }
        for (int64_t ch = 0; ch < c; ++ch) {
            float* out = dst + (b * c + ch) * oh * ow;
            for (int64_t i = 0; i < oh * ow; ++i) out[i] = static_cast<float>(planes[size_t(ch)][size_t(i)]) / 255.0f;
        }
    });
}

}  // namespace

ResampleMethod resample_method_from_name(std::string_view name) {
    if (name == "nearest-exact") return ResampleMethod::NearestExact;
    if (name == "bilinear") return ResampleMethod::Bilinear;
    if (name == "area") return ResampleMethod::Area;
    if (name == "bicubic") return ResampleMethod::Bicubic;
    if (name == "bislerp") return ResampleMethod::Bislerp;
    if (name == "lanczos") return ResampleMethod::Lanczos;
    fail(fmt::format("unknown upscale method '{}'", name));
}

const char* resample_method_name(ResampleMethod m) {
    switch (m) {
        case ResampleMethod::NearestExact: return "nearest-exact";
        case ResampleMethod::Bilinear: return "bilinear";
        case ResampleMethod::Area: return "area";
        case ResampleMethod::Bicubic: return "bicubic";
        case ResampleMethod::Bislerp: return "bislerp";
        case ResampleMethod::Lanczos: return "lanczos";
    }
    return "?";
}

Tensor resize_nchw(const Tensor& x, int64_t height, int64_t width, ResampleMethod method) {
    if (x.dim() != 4) fail("resize: expected a [N, C, H, W] tensor, got " + x.describe());
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    if (h <= 0 || w <= 0 || height <= 0 || width <= 0)
        fail(fmt::format("resize: input and output sizes must be greater than 0 (input {}x{}, output {}x{})", w, h,
                         width, height));
    const Tensor in = x.to(DType::F32);
    Tensor out = Tensor::zeros({n, c, height, width});
    if (n * c == 0) return out;
    const float* s = in.data<float>();
    float* d = out.data<float>();
    const int64_t planes = n * c;
    switch (method) {
        case ResampleMethod::NearestExact: {
            const Taps tx = nearest_exact_taps(w, width), ty = nearest_exact_taps(h, height);
            for_each_index(planes * height, width, [&](int64_t prow) {
                const int64_t p = prow / height, oy = prow % height;
                const float* row = s + p * h * w + ty.index[size_t(oy)] * w;
                float* o = d + prow * width;
                for (int64_t ox = 0; ox < width; ++ox) o[ox] = row[tx.index[size_t(ox)]];
            });
            break;
        }
        case ResampleMethod::Bilinear: separable(s, d, planes, h, w, height, width, linear_taps(w, width), linear_taps(h, height)); break;
        case ResampleMethod::Bicubic: separable(s, d, planes, h, w, height, width, cubic_taps(w, width), cubic_taps(h, height)); break;
        case ResampleMethod::Area: area(s, d, planes, h, w, height, width); break;
        case ResampleMethod::Bislerp: bislerp(s, d, n, c, h, w, height, width); break;
        case ResampleMethod::Lanczos: lanczos(s, d, n, c, h, w, height, width); break;
    }
    return out;
}

CenterCrop center_crop_offsets(int64_t old_width, int64_t old_height, int64_t width, int64_t height) {
    CenterCrop c;
    if (old_height <= 0 || height <= 0) return c;
    const double old_aspect = static_cast<double>(old_width) / static_cast<double>(old_height);
    const double new_aspect = static_cast<double>(width) / static_cast<double>(height);
    // std::rint rounds halves to even, like Python's round().
    if (old_aspect > new_aspect)
        c.x = static_cast<int64_t>(std::rint((old_width - old_width * (new_aspect / old_aspect)) / 2.0));
    else if (old_aspect < new_aspect)
        c.y = static_cast<int64_t>(std::rint((old_height - old_height * (old_aspect / new_aspect)) / 2.0));
    return c;
}

Tensor common_upscale(const Tensor& x, int64_t width, int64_t height, ResampleMethod method, bool crop_center) {
    if (x.dim() != 4) fail("upscale: expected a [N, C, H, W] tensor, got " + x.describe());
    Tensor s = x;
    if (crop_center) {
        const int64_t ow = x.size(3), oh = x.size(2);
        const CenterCrop c = center_crop_offsets(ow, oh, width, height);
        if (oh - 2 * c.y <= 0 || ow - 2 * c.x <= 0)
            fail(fmt::format("upscale: centre crop of {}x{} to the aspect of {}x{} leaves nothing", ow, oh, width, height));
        s = x.slice(2, c.y, oh - c.y).slice(3, c.x, ow - c.x);
    }
    return resize_nchw(s, height, width, method);
}

}  // namespace weft
