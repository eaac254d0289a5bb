#include "nodes/tensor_helpers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace weft::nodes {

Tensor nhwc_to_nchw(const Tensor& t) { return t.to(DType::F32).permute({0, 3, 1, 2}).contiguous(); }

Tensor nchw_to_nhwc(const Tensor& t) { return t.to(DType::F32).permute({0, 2, 3, 1}).contiguous(); }

Tensor mask_batch(const Tensor& t, std::string_view what) {
    if (!t.defined() || t.dim() < 2)
        throw Error(ErrorCode::InvalidInputType, fmt::format("{}: expected a MASK [B, H, W], got {}", what, t.defined() ? t.describe() : "nothing"));
    return t.to(DType::F32).reshape({-1, t.size(-2), t.size(-1)});
}

Tensor latent_samples(const Tensor& t, std::string_view what) {
    if (!t.defined() || t.dim() != 4)
        throw Error(ErrorCode::InvalidInputType, fmt::format("{}: expected latent samples [B, C, H, W], got {}", what, t.defined() ? t.describe() : "nothing"));
    return t.to(DType::F32);
}

Tensor repeat_to_batch(const Tensor& t, int64_t batch) {
    const Tensor c = t.contiguous();
    const int64_t have = c.size(0);
    if (have == batch) return c;
    if (have == 0) throw Error(ErrorCode::InvalidInput, "cannot repeat an empty batch");
    Shape shape = c.shape();
    shape[0] = batch;
    Tensor out = Tensor::zeros(shape, c.dtype());
    const size_t item = c.nbytes() / static_cast<size_t>(have);
    for (int64_t b = 0; b < batch; ++b)
        std::memcpy(out.raw_data() + static_cast<size_t>(b) * item, c.raw_data() + static_cast<size_t>(b % have) * item, item);
    return out;
}

Tensor repeat_batch(const Tensor& t, int64_t times) { return repeat_to_batch(t, t.size(0) * times); }

Tensor concat_batch(std::span<const Tensor> parts) {
    if (parts.empty()) throw Error(ErrorCode::InvalidInput, "nothing to concatenate");
    Shape shape = parts.front().shape();
    const DType dtype = parts.front().dtype();
    int64_t total = 0;
    for (const Tensor& p : parts) {
        Shape a(p.shape().begin() + 1, p.shape().end()), b(shape.begin() + 1, shape.end());
        if (a != b || p.dtype() != dtype)
            throw Error(ErrorCode::InvalidInput, fmt::format("cannot batch tensors of different sizes: {} and {}", parts.front().describe(), p.describe()));
        total += p.size(0);
    }
    shape[0] = total;
    Tensor out = Tensor::zeros(shape, dtype);
    size_t offset = 0;
    for (const Tensor& p : parts) {
        const Tensor c = p.contiguous();
        std::memcpy(out.raw_data() + offset, c.raw_data(), c.nbytes());
        offset += c.nbytes();
    }
    return out;
}

SliceRange py_slice(int64_t len, int64_t start, int64_t stop) {
    auto norm = [len](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + len : v, 0, len); };
    SliceRange r{norm(start), norm(stop)};
    if (r.end < r.begin) r.end = r.begin;
    return r;
}

namespace {

// The [outer, H, W, inner] view of a contiguous tensor around dimensions hdim, hdim + 1.
struct PlaneView {
    int64_t outer = 1, h = 0, w = 0, inner = 1;
};
PlaneView plane_view(const Tensor& t, int64_t hdim) {
    if (hdim < 0 || hdim + 1 >= t.dim()) throw Error(ErrorCode::InvalidInput, "flip/rotate: bad dimensions for " + t.describe());
    PlaneView v;
    for (int64_t d = 0; d < hdim; ++d) v.outer *= t.size(d);
    v.h = t.size(hdim);
    v.w = t.size(hdim + 1);
    for (int64_t d = hdim + 2; d < t.dim(); ++d) v.inner *= t.size(d);
    return v;
}

}  // namespace

Tensor flip_hw(const Tensor& t, int64_t hdim, bool vertical) {
    const Tensor c = t.contiguous();
    const PlaneView v = plane_view(c, hdim);
    Tensor out = Tensor::zeros(c.shape(), c.dtype());
    const size_t es = dtype_size(c.dtype()), block = es * size_t(v.inner);
    for (int64_t o = 0; o < v.outer; ++o)
        for (int64_t y = 0; y < v.h; ++y)
            for (int64_t x = 0; x < v.w; ++x) {
                const int64_t sy = vertical ? v.h - 1 - y : y, sx = vertical ? x : v.w - 1 - x;
                std::memcpy(out.raw_data() + size_t((o * v.h + y) * v.w + x) * block,
                            c.raw_data() + size_t((o * v.h + sy) * v.w + sx) * block, block);
            }
    return out;
}

Tensor rot90_hw(const Tensor& t, int64_t hdim, int k) {
    k = ((k % 4) + 4) % 4;
    const Tensor c = t.contiguous();
    if (k == 0) return c;
    if (k == 2) return flip_hw(flip_hw(c, hdim, true), hdim, false);
    const PlaneView v = plane_view(c, hdim);
    Shape shape = c.shape();
    std::swap(shape[size_t(hdim)], shape[size_t(hdim + 1)]);
    Tensor out = Tensor::zeros(shape, c.dtype());
    const size_t es = dtype_size(c.dtype()), block = es * size_t(v.inner);
    // Output is [W, H] per plane. Clockwise: out[i][j] = in[H-1-j][i]; counter-clockwise
    // (three quarter turns): out[i][j] = in[j][W-1-i].
    for (int64_t o = 0; o < v.outer; ++o)
        for (int64_t i = 0; i < v.w; ++i)
            for (int64_t j = 0; j < v.h; ++j) {
                const int64_t sy = k == 1 ? v.h - 1 - j : j, sx = k == 1 ? i : v.w - 1 - i;
                std::memcpy(out.raw_data() + size_t((o * v.w + i) * v.h + j) * block,
                            c.raw_data() + size_t((o * v.h + sy) * v.w + sx) * block, block);
            }
    return out;
}

Tensor match_source_channels(const Tensor& destination, const Tensor& source) {
    const Tensor src = source.to(DType::F32);
    const int64_t cd = destination.size(-1), cs = src.size(-1);
    if (cd == cs) return src;
    // Drop extra channels, or append exactly one channel of 1.0 (as F.pad(source, (0, 1))).
    const int64_t co = cd < cs ? cd : cs + 1;
    Shape shape = src.shape();
    shape.back() = co;
    Tensor out = Tensor::full(shape, 1.0f);
    const int64_t pixels = src.numel() / cs, copy = std::min(cs, co);
    const float* s = src.data<float>();
    float* d = out.data<float>();
    for (int64_t i = 0; i < pixels; ++i) std::memcpy(d + i * co, s + i * cs, sizeof(float) * size_t(copy));
    return out;
}

Error input_error(const NodeContext& ctx, std::string_view input, const std::string& message) {
    Error e(ErrorCode::InvalidInput, message);
    e.at_input(std::string(input));
    return e;
}

}  // namespace weft::nodes
