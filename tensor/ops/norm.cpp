// Group and layer norm: statistics in double (two passes: mean, then squared deviations, which
// avoids the cancellation of E[x²] − E[x]²), then one scale-and-shift pass per channel.
#include "norm.h"

#include "ops_common.h"
#include "vec_math.h"

#include "core/convert.h"

#include <tbb/combinable.h>
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

struct GroupStats {
    float mean;
    double inv_std;
};

// Mean and 1/std of `count` contiguous values (biased variance).
GroupStats group_stats(const float* x, int64_t count, float eps) {
    const double mean = vm::sum(x, count) / double(count);
    const double var = vm::sum_sq_dev(x, count, mean) / double(count);
    return {float(mean), 1.0 / std::sqrt(var + double(eps))};
}

// (x − mean)·scale + shift (then SiLU) over `n` values: the one formula of group_norm, whole or
// by bands. Not x·scale + shift': that cancels badly when the variance is tiny next to the mean.
template <bool Silu> void normalise(const float* src, float* dst, int64_t n, float mean, float scale, float shift) {
    if constexpr (Silu) {
        for (int64_t i = 0; i < n; ++i) {
            const float v = (src[i] - mean) * scale + shift;
            dst[i] = v * vm::sigmoid(v);
        }
    } else {
        for (int64_t i = 0; i < n; ++i) dst[i] = (src[i] - mean) * scale + shift;
    }
}

// The same formula over `pixels` channels-last pixels of C channels, the factors per channel.
template <bool Silu>
void normalise_pixels(const float* src, float* dst, int64_t pixels, int64_t C, const float* mean, const float* scale, const float* shift) {
    for (int64_t i = 0; i < pixels; ++i, src += C, dst += C)
        for (int64_t c = 0; c < C; ++c) {
            const float v = (src[c] - mean[c]) * scale[c] + shift[c];
            if constexpr (Silu) dst[c] = v * vm::sigmoid(v);
            else dst[c] = v;
        }
}

struct GroupNormArgs {
    Tensor x, w, b;  // x dense F32; w, b F32 [C] or undefined
    int64_t N, C, inner, cg;
};

// `banded`: GroupNormRows's x, F32 or BF16 in its own layout (kept as it is, not made dense).
GroupNormArgs check_group_norm(const Tensor& x0, int64_t groups, const Tensor& weight, const Tensor& bias, bool banded = false) {
    if (banded) detail::check_float(x0, "group_norm", "x", 4);
    else check_f32(x0, "group_norm", "x");
    check(x0.dim() >= 2, "group_norm", [&] { return "x must be [N, C, ...], got " + x0.describe(); });
    const int64_t N = x0.size(0), C = x0.size(1);
    check(groups > 0 && C % groups == 0, "group_norm", [&] {
        return std::to_string(C) + " channels of " + x0.describe() + " do not split into " + std::to_string(groups) +
               " groups";
    });
    GroupNormArgs a{banded ? x0 : detail::dense(x0), affine(weight, C, "group_norm", "weight"), affine(bias, C, "group_norm", "bias"), N, C, 0,
                    C / groups};
    a.inner = C == 0 || N == 0 ? 0 : a.x.numel() / (N * C);
    return a;
}

float channel_scale(const GroupNormArgs& a, int64_t ch, double inv_std) {
    return float(inv_std * (a.w.defined() ? a.w.data<float>()[ch] : 1.0f));
}
float channel_shift(const GroupNormArgs& a, int64_t ch) { return a.b.defined() ? a.b.data<float>()[ch] : 0.0f; }

template <bool Silu>
Tensor group_norm_impl(const Tensor& x0, int64_t groups, const Tensor& weight, const Tensor& bias, float eps) {
    const GroupNormArgs a = check_group_norm(x0, groups, weight, bias);
    Tensor out = detail::empty(a.x.shape());
    const float* px = a.x.data<float>();
    float* po = out.data<float>();
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, a.N * groups, 1), [&](const auto& r) {
        for (int64_t ng = r.begin(); ng < r.end(); ++ng) {
            const int64_t g = ng % groups, base = ng * a.cg * a.inner;
            const GroupStats st = group_stats(px + base, a.cg * a.inner, eps);
            for (int64_t c = 0; c < a.cg; ++c) {
                const int64_t ch = g * a.cg + c, at = base + c * a.inner;
                normalise<Silu>(px + at, po + at, a.inner, st.mean, channel_scale(a, ch, st.inv_std), channel_shift(a, ch));
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

namespace {

// f(chunk, length) over `n` BF16 values widened to F32 a chunk at a time.
template <class F> void for_bf16_chunks(const uint16_t* p, int64_t n, F&& f) {
    constexpr int64_t kChunk = 4096;
    float buf[kChunk];
    for (int64_t i = 0; i < n; i += kChunk) {
        const int64_t len = std::min(kChunk, n - i);
        convert_bf16_to_f32(std::span<const uint16_t>(p + i, size_t(len)), std::span<float>(buf, size_t(len)));
        f(static_cast<const float*>(buf), len);
    }
}

// group_stats over BF16 values (the same two passes, each widening its chunks).
GroupStats group_stats(const uint16_t* x, int64_t count, float eps) {
    double sum = 0, dev = 0;
    for_bf16_chunks(x, count, [&](const float* c, int64_t len) { sum += vm::sum(c, len); });
    const double mean = sum / double(count);
    for_bf16_chunks(x, count, [&](const float* c, int64_t len) { dev += vm::sum_sq_dev(c, len, mean); });
    return {float(mean), 1.0 / std::sqrt(dev / double(count) + double(eps))};
}

}  // namespace

namespace {

// Widens `n` values at `p` (F32 or BF16) into `buf` unless they are F32 already.
const float* widened(const Tensor& t, int64_t at, int64_t n, float* buf) {
    if (t.dtype() == DType::F32) return t.data<float>() + at;
    convert_bf16_to_f32(std::span<const uint16_t>(t.data<uint16_t>() + at, size_t(n)), std::span<float>(buf, size_t(n)));
    return buf;
}

// Statistics of a channels-last x: per channel sums over the pixels (double), then per group. Two
// passes, as the NCHW path: the mean, then the squared deviations from it.
void channels_last_stats(const Tensor& x, int64_t groups, float eps, std::vector<GroupStats>& out) {
    const int64_t N = x.size(0), C = x.size(1), P = x.size(2) * x.size(3), cg = C / groups;
    constexpr int64_t kPixels = 64;
    out.assign(size_t(N * groups), GroupStats{});
    for (int64_t n = 0; n < N; ++n) {
        std::vector<double> mean(size_t(groups), 0.0);
        for (int pass = 0; pass < 2; ++pass) {
            tbb::combinable<std::vector<double>> acc([&] { return std::vector<double>(size_t(C), 0.0); });
            tbb::parallel_for(tbb::blocked_range<int64_t>(0, (P + kPixels - 1) / kPixels, 16), [&](const auto& r) {
                std::vector<double>& a = acc.local();
                std::vector<float> buf(size_t(kPixels * C));
                std::vector<float> centre(static_cast<size_t>(C), 0.0f), partial(static_cast<size_t>(C));
                if (pass == 1)
                    for (int64_t c = 0; c < C; ++c) centre[size_t(c)] = float(mean[size_t(c / cg)]);
                for (int64_t chunk = r.begin(); chunk < r.end(); ++chunk) {
                    const int64_t p0 = chunk * kPixels, len = std::min(kPixels, P - p0);
                    const float* v = widened(x, (n * P + p0) * C, len * C, buf.data());
                    // A float partial per chunk of 64 pixels (vectorised along the channels), then
                    // added to the double totals.
                    float* part = partial.data();
                    std::fill(partial.begin(), partial.end(), 0.0f);
                    if (pass == 0) {
                        for (int64_t i = 0; i < len; ++i, v += C)
                            for (int64_t c = 0; c < C; ++c) part[c] += v[c];
                    } else {
                        const float* ctr = centre.data();
                        for (int64_t i = 0; i < len; ++i, v += C)
                            for (int64_t c = 0; c < C; ++c) {
                                const float d = v[c] - ctr[c];
                                part[c] += d * d;
                            }
                    }
                    for (int64_t c = 0; c < C; ++c) a[size_t(c)] += double(part[c]);
                }
            });
            std::vector<double> total(size_t(C), 0.0);
            acc.combine_each([&](const std::vector<double>& a) {
                for (int64_t c = 0; c < C; ++c) total[size_t(c)] += a[size_t(c)];
            });
            for (int64_t g = 0; g < groups; ++g) {
                double sum = 0;
                for (int64_t c = g * cg; c < (g + 1) * cg; ++c) sum += total[size_t(c)];
                const double count = double(cg * P);
                if (pass == 0) mean[size_t(g)] = sum / count;
                else out[size_t(n * groups + g)] = {float(mean[size_t(g)]), 1.0 / std::sqrt(sum / count + double(eps))};
            }
        }
    }
}

}  // namespace

GroupNormRows::GroupNormRows(const Tensor& x0, int64_t groups, const Tensor& weight, const Tensor& bias, float eps, bool silu)
    : silu_(silu) {
    const GroupNormArgs a = check_group_norm(x0, groups, weight, bias, true);
    channels_last_ = detail::is_channels_last(x0) && !x0.is_contiguous();
    x_ = channels_last_ ? x0 : detail::dense(x0);
    const int64_t inner = x_.size(2) * x_.size(3);
    std::vector<GroupStats> stats(size_t(a.N * groups));
    if (channels_last_) {
        channels_last_stats(x_, groups, eps, stats);
    } else {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, a.N * groups, 1), [&](const auto& r) {
            for (int64_t ng = r.begin(); ng < r.end(); ++ng) {
                const int64_t at = ng * a.cg * inner;
                stats[size_t(ng)] = x_.dtype() == DType::BF16 ? group_stats(x_.data<uint16_t>() + at, a.cg * inner, eps)
                                                              : group_stats(x_.data<float>() + at, a.cg * inner, eps);
            }
        });
    }
    mean_.resize(size_t(a.N * a.C));
    scale_.resize(mean_.size());
    shift_.resize(mean_.size());
    for (int64_t n = 0; n < a.N; ++n)
        for (int64_t ch = 0; ch < a.C; ++ch) {
            const GroupStats& st = stats[size_t(n * groups + ch / a.cg)];
            mean_[size_t(n * a.C + ch)] = st.mean;
            scale_[size_t(n * a.C + ch)] = channel_scale(a, ch, st.inv_std);
            shift_[size_t(n * a.C + ch)] = channel_shift(a, ch);
        }
}

void GroupNormRows::operator()(int64_t r0, int64_t r1, Tensor& band) const {
    const int64_t N = x_.size(0), C = x_.size(1), H = x_.size(2), W = x_.size(3), rows = r1 - r0;
    const bool band_layout_ok = channels_last_ ? detail::is_channels_last(band) : band.is_contiguous();
    check(0 <= r0 && r0 < r1 && r1 <= H && band.defined() && band.dtype() == DType::F32 && band_layout_ok &&
              band.shape() == Shape{N, C, rows, W},
          "group_norm", [&] {
              return "rows [" + std::to_string(r0) + ", " + std::to_string(r1) + ") of " + x_.describe() + " do not fit " +
                     (band.defined() ? band.describe() : std::string("an undefined band")) + " (the band takes x's layout)";
          });
    float* pb = band.data<float>();
    if (channels_last_) {
        // Pixel by pixel, channels innermost: the per-channel factors are vectors.
        const int64_t pixels = rows * W;
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, N * pixels, std::max<int64_t>(1, detail::kGrain / C)), [&](const auto& r) {
            for (int64_t np = r.begin(); np < r.end();) {
                const int64_t n = np / pixels, p = np % pixels, len = std::min(r.end() - np, pixels - p);
                float* dst = pb + np * C;
                const float* src = widened(x_, (n * H * W + r0 * W + p) * C, len * C, dst);
                const float* m = mean_.data() + n * C;
                const float* sc = scale_.data() + n * C;
                const float* sh = shift_.data() + n * C;
                if (silu_) normalise_pixels<true>(src, dst, len, C, m, sc, sh);
                else normalise_pixels<false>(src, dst, len, C, m, sc, sh);
                np += len;
            }
        });
        return;
    }
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, N * C, std::max<int64_t>(1, detail::kGrain / (rows * W))), [&](const auto& r) {
        for (int64_t nc = r.begin(); nc < r.end(); ++nc) {
            float* dst = pb + nc * rows * W;
            // BF16 rows are widened into the band, then normalised there.
            const float* src = widened(x_, (nc * H + r0) * W, rows * W, dst);
            const size_t i = size_t(nc);
            if (silu_) normalise<true>(src, dst, rows * W, mean_[i], scale_[i], shift_[i]);
            else normalise<false>(src, dst, rows * W, mean_[i], scale_[i], shift_[i]);
        }
    });
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
