// Concat, pad, pixel (un)shuffle and resizing. All are memory-bound: each works row by row (a row =
// the last dimension) with precomputed source indices, rows split across threads with oneTBB.
#include "layout.h"

#include "ops_common.h"

#include "core/convert.h"

#include <tbb/parallel_for.h>

#include <cmath>
#include <cstring>

namespace weft::ops {

using detail::check;
using detail::check_f32;

namespace {

template <class F> void for_rows(int64_t rows, int64_t row_len, F&& f) {
    const int64_t grain = std::max<int64_t>(1, detail::kGrain / std::max<int64_t>(row_len, 1));
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, grain), [&](const auto& r) {
        for (int64_t row = r.begin(); row < r.end(); ++row) f(row);
    });
}

void check_nchw(const Tensor& x, const char* op) {
    check_f32(x, op, "x", 4);
}

}  // namespace

Tensor concat(const std::vector<Tensor>& parts, int64_t dim) {
    check(!parts.empty(), "concat", [] { return std::string("no tensors given"); });
    const Tensor& first = parts[0];
    check_f32(first, "concat", "parts[0]");
    const int64_t nd = first.dim();
    const int64_t d = dim < 0 ? dim + nd : dim;
    check(d >= 0 && d < nd, "concat", [&] { return "dim " + std::to_string(dim) + " out of range for " + first.describe(); });
    Shape shape = first.shape();
    shape[d] = 0;
    std::vector<Tensor> dense;
    for (size_t i = 0; i < parts.size(); ++i) {
        check_f32(parts[i], "concat", "parts[" + std::to_string(i) + "]");
        bool ok = parts[i].dim() == nd;
        for (int64_t j = 0; ok && j < nd; ++j) ok = j == d || parts[i].shape()[j] == first.shape()[j];
        check(ok, "concat", [&] {
            return "parts[" + std::to_string(i) + "] " + parts[i].describe() + " does not match " + first.describe() +
                   " outside dim " + std::to_string(d);
        });
        shape[d] += parts[i].shape()[d];
        dense.push_back(detail::dense(parts[i]));
    }
    Tensor out = detail::empty(shape);
    int64_t outer = 1, inner = 1;
    for (int64_t j = 0; j < d; ++j) outer *= shape[j];
    for (int64_t j = d + 1; j < nd; ++j) inner *= shape[j];
    const int64_t out_row = shape[d] * inner;
    float* po = out.data<float>();
    int64_t at = 0;
    for (const Tensor& p : dense) {
        const int64_t len = p.shape()[d] * inner;
        const float* src = p.data<float>();
        for_rows(outer, len, [&](int64_t o) {
            std::memcpy(po + o * out_row + at, src + o * len, size_t(len) * sizeof(float));
        });
        at += len;
    }
    return out;
}

Tensor pad(const Tensor& x0, const std::vector<int64_t>& pads, PadMode mode, float value) {
    check_f32(x0, "pad", "x");
    const int64_t nd = x0.dim(), np = static_cast<int64_t>(pads.size()) / 2;
    check(pads.size() % 2 == 0 && np <= nd && nd >= 1, "pad", [&] {
        return std::to_string(pads.size()) + " pad values do not fit " + x0.describe();
    });
    Shape shape = x0.shape();
    std::vector<int64_t> before(nd, 0);
    for (int64_t j = 0; j < np; ++j) {
        const int64_t d = nd - 1 - j, lo = pads[2 * j], hi = pads[2 * j + 1];
        check(lo >= 0 && hi >= 0, "pad", [&] { return std::string("negative pads are not supported"); });
        check(mode != PadMode::Reflect || (lo < shape[d] && hi < shape[d]), "pad", [&] {
            return "reflect padding " + std::to_string(std::max(lo, hi)) + " must be below the size " +
                   std::to_string(shape[d]) + " of dim " + std::to_string(d) + " of " + x0.describe();
        });
        check(mode != PadMode::Replicate || shape[d] > 0 || lo + hi == 0, "pad", [&] {
            return "replicate padding of an empty dimension in " + x0.describe();
        });
        before[d] = lo;
        shape[d] += lo + hi;
    }
    Tensor x = detail::dense(x0);
    Tensor out = detail::empty(shape);
    if (out.numel() == 0) return out;
    const Shape& in_shape = x.shape();
    const int64_t W = in_shape[nd - 1], OW = shape[nd - 1], lo = before[nd - 1];
    // Source index along one dimension, or -1 when it falls in constant padding.
    auto source = [&](int64_t d, int64_t i) -> int64_t {
        const int64_t n = in_shape[d];
        int64_t k = i - before[d];
        if (k >= 0 && k < n) return k;
        if (mode == PadMode::Constant) return -1;
        if (mode == PadMode::Replicate) return k < 0 ? 0 : n - 1;
        return k < 0 ? -k : 2 * (n - 1) - k;
    };
    std::vector<int64_t> col(OW);
    for (int64_t i = 0; i < OW; ++i) col[i] = source(nd - 1, i);
    const float* px = x.data<float>();
    float* po = out.data<float>();
    const int64_t rows = out.numel() / OW;
    for_rows(rows, OW, [&](int64_t row) {
        float* dst = po + row * OW;
        int64_t rem = row, src_row = 0, mul = 1;
        for (int64_t d = nd - 2; d >= 0; --d) {
            const int64_t k = source(d, rem % shape[d]);
            rem /= shape[d];
            if (k < 0) {
                std::fill(dst, dst + OW, value);
                return;
            }
            src_row += k * mul;
            mul *= in_shape[d];
        }
        const float* src = px + src_row * W;
        for (int64_t i = 0; i < lo; ++i) dst[i] = col[i] < 0 ? value : src[col[i]];
        std::memcpy(dst + lo, src, size_t(W) * sizeof(float));
        for (int64_t i = lo + W; i < OW; ++i) dst[i] = col[i] < 0 ? value : src[col[i]];
    });
    return out;
}

Tensor pixel_shuffle(const Tensor& x0, int64_t r) {
    check_nchw(x0, "pixel_shuffle");
    check(r > 0 && x0.size(1) % (r * r) == 0, "pixel_shuffle", [&] {
        return "channels of " + x0.describe() + " must be a multiple of r² = " + std::to_string(r * r);
    });
    Tensor x = detail::dense(x0);
    const int64_t N = x.size(0), C = x.size(1) / (r * r), H = x.size(2), W = x.size(3), OW = W * r;
    Tensor out = detail::empty({N, C, H * r, OW});
    const float* px = x.data<float>();
    float* po = out.data<float>();
    // Output row (n, c, y·r + i) interleaves the r input planes (c·r² + i·r + j), row y.
    for_rows(N * C * H * r, OW, [&](int64_t row) {
        const int64_t i = row % r, y = (row / r) % H, nc = row / (r * H);
        float* dst = po + row * OW;
        for (int64_t j = 0; j < r; ++j) {
            const float* src = px + ((nc * r * r + i * r + j) * H + y) * W;
            for (int64_t xx = 0; xx < W; ++xx) dst[xx * r + j] = src[xx];
        }
    });
    return out;
}

Tensor pixel_unshuffle(const Tensor& x0, int64_t r) {
    check_nchw(x0, "pixel_unshuffle");
    check(r > 0 && x0.size(2) % r == 0 && x0.size(3) % r == 0, "pixel_unshuffle", [&] {
        return "height and width of " + x0.describe() + " must be multiples of " + std::to_string(r);
    });
    Tensor x = detail::dense(x0);
    const int64_t N = x.size(0), C = x.size(1), H = x.size(2) / r, W = x.size(3) / r;
    Tensor out = detail::empty({N, C * r * r, H, W});
    const float* px = x.data<float>();
    float* po = out.data<float>();
    // Output row (n, c·r² + i·r + j, y) takes every r-th element of input row (n, c, y·r + i) from j.
    for_rows(N * C * r * r * H, W, [&](int64_t row) {
        const int64_t y = row % H, plane = row / H, ij = plane % (r * r), nc = plane / (r * r);
        const int64_t i = ij / r, j = ij % r;
        const float* src = px + (nc * H * r + y * r + i) * W * r;
        float* dst = po + row * W;
        for (int64_t xx = 0; xx < W; ++xx) dst[xx] = src[xx * r + j];
    });
    return out;
}

namespace {

float widen(float v) { return v; }
float widen(uint16_t v) { return bf16_to_f32(v); }

// PyTorch's "nearest": the scale in float, src = floor(dst·scale). One row kernel for the whole op
// and for bands of rows, so both give the same values.
struct NearestMap {
    int64_t H, W, oh, ow;
    float sh;
    std::vector<int64_t> sx;

    NearestMap(int64_t H_, int64_t W_, int64_t oh_, int64_t ow_) : H(H_), W(W_), oh(oh_), ow(ow_), sh(float(H_) / float(oh_)), sx(size_t(ow_)) {
        const float sw = float(W) / float(ow);
        for (int64_t i = 0; i < ow; ++i) sx[size_t(i)] = std::min<int64_t>(int64_t(std::floor(float(i) * sw)), W - 1);
    }
    int64_t source_row(int64_t y) const { return std::min<int64_t>(int64_t(std::floor(float(y) * sh)), H - 1); }
    // Output row y of plane p (sample·channel) from the plane's input rows (F32 or BF16).
    template <class T> void row(const T* plane, int64_t y, float* dst) const {
        const T* src = plane + source_row(y) * W;
        if (ow == 2 * W) {
            for (int64_t i = 0; i < W; ++i) dst[2 * i] = dst[2 * i + 1] = widen(src[i]);
        } else {
            for (int64_t i = 0; i < ow; ++i) dst[i] = widen(src[sx[size_t(i)]]);
        }
    }
};

Tensor checked_nearest_input(const Tensor& x0, int64_t oh, int64_t ow, bool bf16_ok = false) {
    if (bf16_ok) detail::check_float(x0, "upsample_nearest", "x", 4);
    else check_nchw(x0, "upsample_nearest");
    check(oh > 0 && ow > 0, "upsample_nearest", [&] { return "output size must be positive"; });
    Tensor x = detail::dense(x0);
    check(x.size(2) > 0 && x.size(3) > 0, "upsample_nearest", [&] { return "empty input " + x.describe(); });
    return x;
}

}  // namespace

Tensor upsample_nearest(const Tensor& x0, int64_t oh, int64_t ow) {
    Tensor x = checked_nearest_input(x0, oh, ow);
    const NearestMap map(x.size(2), x.size(3), oh, ow);
    Tensor out = detail::empty({x.size(0), x.size(1), oh, ow});
    const float* px = x.data<float>();
    float* po = out.data<float>();
    for_rows(x.size(0) * x.size(1) * oh, ow, [&](int64_t row) { map.row(px + (row / oh) * map.H * map.W, row % oh, po + row * ow); });
    return out;
}

UpsampleNearestRows::UpsampleNearestRows(const Tensor& x, int64_t out_h, int64_t out_w)
    : channels_last_(detail::is_channels_last(x) && !x.is_contiguous()),
      x_(channels_last_ ? x : checked_nearest_input(x, out_h, out_w, true)),
      out_h_(out_h),
      out_w_(out_w) {
    if (channels_last_) checked_nearest_input(Tensor::zeros({1, 1, x.size(2), x.size(3)}), out_h, out_w, true);
}

Shape UpsampleNearestRows::shape() const { return {x_.size(0), x_.size(1), out_h_, out_w_}; }

void UpsampleNearestRows::operator()(int64_t r0, int64_t r1, Tensor& band) const {
    const int64_t rows = r1 - r0;
    const bool band_layout_ok = channels_last_ ? detail::is_channels_last(band) : band.is_contiguous();
    check(0 <= r0 && r0 < r1 && r1 <= out_h_ && band.defined() && band.dtype() == DType::F32 && band_layout_ok &&
              band.shape() == Shape{x_.size(0), x_.size(1), rows, out_w_},
          "upsample_nearest", [&] {
              return "rows [" + std::to_string(r0) + ", " + std::to_string(r1) + ") of the upsampled " + x_.describe() +
                     " do not fit " + (band.defined() ? band.describe() : std::string("an undefined band"));
          });
    const NearestMap map(x_.size(2), x_.size(3), out_h_, out_w_);
    float* pb = band.data<float>();
    const int64_t plane = map.H * map.W;
    if (channels_last_) {
        // Whole pixels (all channels) copied from their source pixel.
        const int64_t C = x_.size(1);
        for_rows(x_.size(0) * rows, out_w_ * C, [&](int64_t row) {
            const int64_t n = row / rows, sy = map.source_row(r0 + row % rows);
            float* dst = pb + row * out_w_ * C;
            for (int64_t i = 0; i < out_w_; ++i, dst += C) {
                const int64_t at = ((n * map.H + sy) * map.W + map.sx[size_t(i)]) * C;
                if (x_.dtype() == DType::BF16) convert_bf16_to_f32(std::span<const uint16_t>(x_.data<uint16_t>() + at, size_t(C)), std::span<float>(dst, size_t(C)));
                else std::memcpy(dst, x_.data<float>() + at, size_t(C) * sizeof(float));
            }
        });
        return;
    }
    for_rows(x_.size(0) * x_.size(1) * rows, out_w_, [&](int64_t row) {
        if (x_.dtype() == DType::BF16) map.row(x_.data<uint16_t>() + (row / rows) * plane, r0 + row % rows, pb + row * out_w_);
        else map.row(x_.data<float>() + (row / rows) * plane, r0 + row % rows, pb + row * out_w_);
    });
}

Tensor upsample_bilinear(const Tensor& x0, int64_t oh, int64_t ow) {
    check_nchw(x0, "upsample_bilinear");
    check(oh > 0 && ow > 0, "upsample_bilinear", [&] { return "output size must be positive"; });
    Tensor x = detail::dense(x0);
    const int64_t NC = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
    check(H > 0 && W > 0, "upsample_bilinear", [&] { return "empty input " + x.describe(); });
    Tensor out = detail::empty({x.size(0), x.size(1), oh, ow});
    struct Tap {
        int64_t i0, i1;
        float l;
    };
    auto taps = [](int64_t in, int64_t n) {
        std::vector<Tap> t(n);
        const double scale = double(in) / double(n);
        for (int64_t i = 0; i < n; ++i) {
            const double f = std::max(0.0, (i + 0.5) * scale - 0.5);
            const int64_t i0 = std::min<int64_t>(int64_t(f), in - 1);
            t[i] = {i0, std::min(i0 + 1, in - 1), float(f - double(i0))};
        }
        return t;
    };
    const auto tx = taps(W, ow), ty = taps(H, oh);
    const float* px = x.data<float>();
    float* po = out.data<float>();
    for_rows(NC * oh, ow, [&](int64_t row) {
        const int64_t y = row % oh, p = row / oh;
        const float* r0 = px + (p * H + ty[y].i0) * W;
        const float* r1 = px + (p * H + ty[y].i1) * W;
        const float ly = ty[y].l;
        float* dst = po + row * ow;
        for (int64_t i = 0; i < ow; ++i) {
            const Tap& t = tx[i];
            const float top = r0[t.i0] + (r0[t.i1] - r0[t.i0]) * t.l;
            const float bot = r1[t.i0] + (r1[t.i1] - r1[t.i0]) * t.l;
            dst[i] = top + (bot - top) * ly;
        }
    });
    return out;
}

}  // namespace weft::ops
