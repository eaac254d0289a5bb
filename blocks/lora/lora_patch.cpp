#include "blocks/lora/lora_patch.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <cmath>

namespace weft::lora {

namespace {

Error shape_error(const LoraModule& m, const std::string& what) {
    return Error(ErrorCode::ModelLoadFailed, fmt::format("LoRA module '{}' ({}): {}", m.name, adapter_kind_name(m.kind), what));
}

/// The part as a contiguous F32 matrix [rows, rest].
Tensor matrix(const LoraModule& m, const std::string& part) {
    const Tensor& t = m.at(part);
    if (t.dim() == 0) throw shape_error(m, part + " is a scalar");
    return t.to(DType::F32).contiguous().reshape({t.size(0), -1});
}

/// a [n, k] @ b [k, m] in F32 with a plain loop: the factors are small, and a fixed summation order
/// keeps the reference exact to the last bit whatever the backend.
Tensor mm(const LoraModule& m, const Tensor& a, const Tensor& b) {
    if (a.size(1) != b.size(0)) throw shape_error(m, "factor shapes " + shape_string(a.shape()) + " and " + shape_string(b.shape()) + " do not chain");
    const int64_t n = a.size(0), k = a.size(1), cols = b.size(1);
    Tensor out = Tensor::zeros({n, cols});
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    float* po = out.data<float>();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j) {
            const float s = pa[i * k + j];
            const float* row = pb + j * cols;
            float* dst = po + i * cols;
            for (int64_t c = 0; c < cols; ++c) dst[c] += s * row[c];
        }
    return out;
}

/// kohya's Tucker-decomposed conv LoRA: down' [r, in, kh, kw] = mid [r, r, kh, kw] applied after
/// the 1x1 down [r, in].
Tensor tucker_down(const LoraModule& m) {
    const Tensor mid = m.at("mid").to(DType::F32).contiguous();
    const Tensor down = matrix(m, "down");
    if (mid.dim() != 4 || mid.size(1) != down.size(0)) throw shape_error(m, "lora_mid " + mid.describe() + " does not fit lora_down " + down.describe());
    const int64_t r = mid.size(0), rin = mid.size(1), kh = mid.size(2), kw = mid.size(3), in = down.size(1);
    Tensor out = Tensor::zeros({r, in, kh, kw});
    const float* pm = mid.data<float>();
    const float* pd = down.data<float>();
    float* po = out.data<float>();
    for (int64_t a = 0; a < r; ++a)
        for (int64_t b = 0; b < rin; ++b)
            for (int64_t i = 0; i < in; ++i) {
                const float d = pd[b * in + i];
                for (int64_t pq = 0; pq < kh * kw; ++pq) po[((a * in + i) * kh * kw) + pq] += pm[(a * rin + b) * kh * kw + pq] * d;
            }
    return out;
}

/// The LoRA down factor with the layer's kernel: [r, in, kh, kw] (kh = kw = 1 for 2-D downs).
Tensor lora_down(const LoraModule& m) {
    if (m.has("mid")) return tucker_down(m);
    const Tensor d = m.at("down").to(DType::F32).contiguous();
    if (d.dim() == 4) return d;
    return d.reshape({d.size(0), -1, 1, 1});
}

/// kron(a [p, q], b [r, s]) -> [p·r, q·s].
Tensor kron(const Tensor& a, const Tensor& b) {
    const int64_t p = a.size(0), q = a.size(1), r = b.size(0), s = b.size(1);
    Tensor out = Tensor::zeros({p * r, q * s});
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    float* po = out.data<float>();
    for (int64_t i = 0; i < p; ++i)
        for (int64_t j = 0; j < q; ++j) {
            const float x = pa[i * q + j];
            for (int64_t k = 0; k < r; ++k)
                for (int64_t l = 0; l < s; ++l) po[(i * r + k) * (q * s) + j * s + l] = x * pb[k * s + l];
        }
    return out;
}

/// ΔW before scale, as a [rows, cols] F32 matrix in the module's natural layout.
Tensor raw_delta(const LoraModule& m) {
    switch (m.kind) {
        case AdapterKind::LoRA: {
            const Tensor down = lora_down(m);
            return mm(m, matrix(m, "up"), down.reshape({down.size(0), -1}));
        }
        case AdapterKind::LoHa: {
            Tensor w1 = mm(m, matrix(m, "hada_w1_a"), matrix(m, "hada_w1_b"));
            Tensor w2 = mm(m, matrix(m, "hada_w2_a"), matrix(m, "hada_w2_b"));
            if (w1.shape() != w2.shape()) throw shape_error(m, "hada_w1 and hada_w2 products differ: " + w1.describe() + " vs " + w2.describe());
            return ops::mul(w1, w2);
        }
        case AdapterKind::LoKr: {
            Tensor w1 = m.has("lokr_w1") ? matrix(m, "lokr_w1") : mm(m, matrix(m, "lokr_w1_a"), matrix(m, "lokr_w1_b"));
            Tensor w2 = m.has("lokr_w2") ? matrix(m, "lokr_w2") : mm(m, matrix(m, "lokr_w2_a"), matrix(m, "lokr_w2_b"));
            // A conv's w2 [c, d, kh, kw] flattened to [c, d·kh·kw] gives the same layout as the
            // 4-D Kronecker product flattened.
            return kron(w1, w2);
        }
        case AdapterKind::Diff: return matrix(m, "diff");
        case AdapterKind::Unsupported: break;
    }
    throw shape_error(m, m.why_unsupported.empty() ? "unsupported module" : m.why_unsupported);
}

}  // namespace

float module_scale(const LoraModule& m) {
    if (!m.alpha) return 1.0f;
    switch (m.kind) {
        case AdapterKind::LoRA: return *m.alpha / static_cast<float>(m.at("down").size(0));
        case AdapterKind::LoHa: return *m.alpha / static_cast<float>(m.at("hada_w1_b").size(0));
        case AdapterKind::LoKr: {
            int64_t dim = 0;
            if (m.has("lokr_w1_b")) dim = m.at("lokr_w1_b").size(0);
            if (!m.has("lokr_w2") && m.has("lokr_w2_b")) dim = m.at("lokr_w2_b").size(0);
            return dim > 0 ? *m.alpha / static_cast<float>(dim) : 1.0f;
        }
        default: return 1.0f;
    }
}

Tensor module_delta(const LoraModule& m, const Shape& weight_shape) {
    Tensor d = raw_delta(m);
    if (d.numel() != shape_numel(weight_shape))
        throw shape_error(m, fmt::format("its delta {} does not fit the model weight {}", shape_string(d.shape()), shape_string(weight_shape)));
    const float scale = module_scale(m);
    return (scale == 1.0f ? d : ops::mul(d, scale)).reshape(weight_shape);
}

Tensor patched_weight(const Tensor& w, const std::vector<std::pair<const LoraModule*, float>>& patches, DType out) {
    Tensor acc = w.to(DType::F32).clone();
    float* pa = acc.data<float>();
    for (const auto& [m, strength] : patches) {
        const Tensor d = raw_delta(*m);
        if (d.numel() != acc.numel())
            throw shape_error(*m, fmt::format("its delta {} does not fit the model weight {}", shape_string(d.shape()), shape_string(w.shape())));
        // (strength·scale)·ΔW, the factors multiplied first as ComfyUI does.
        const float s = strength * module_scale(*m);
        const float* pd = d.data<float>();
        for (int64_t i = 0; i < acc.numel(); ++i) pa[i] += s * pd[i];
    }
    return out == DType::F32 ? acc : acc.to(out);
}

std::shared_ptr<const nets::LinearAdapter> linear_adapter(const LoraModule& m, float strength, int64_t in, int64_t out, ops::Compute mode) {
    const float s = strength * module_scale(m);
    if (m.kind == AdapterKind::LoRA) {
        const Tensor down = lora_down(m);
        const int64_t r = down.size(0);
        const Tensor down2 = down.reshape({r, -1});
        const Tensor up = matrix(m, "up");
        if (down2.size(1) != in || up.size(0) != out || up.size(1) != r)
            throw shape_error(m, fmt::format("down {} / up {} do not fit a linear layer of {} -> {} features", shape_string(m.at("down").shape()),
                                             shape_string(m.at("up").shape()), in, out));
        return std::make_shared<const nets::LinearAdapter>(down2, ops::mul(up, s), mode);
    }
    return std::make_shared<const nets::LinearAdapter>(Tensor(), ops::mul(module_delta(m, {out, in}), strength), mode);
}

std::shared_ptr<const nets::ConvAdapter> conv_adapter(const LoraModule& m, float strength, const ops::PackedConv2d& base, ops::Compute mode) {
    const int64_t in = base.in_channels(), out = base.out_channels();
    if (base.params().groups != 1) throw shape_error(m, "grouped convolutions take no LoRA");
    const float s = strength * module_scale(m);
    if (m.kind == AdapterKind::LoRA) {
        const Tensor down = lora_down(m);
        const Tensor up = matrix(m, "up");
        const int64_t r = down.size(0);
        if (down.size(1) != in || up.size(0) != out || up.size(1) != r)
            throw shape_error(m, fmt::format("down {} / up {} do not fit a convolution of {} -> {} channels", shape_string(m.at("down").shape()),
                                             shape_string(m.at("up").shape()), in, out));
        return std::make_shared<const nets::ConvAdapter>(down, ops::mul(up, s).reshape({out, r, 1, 1}), base.params(), mode);
    }
    // Dense delta: its kernel size follows from its element count.
    const Tensor raw = raw_delta(m);
    const int64_t kk = raw.numel() / std::max<int64_t>(1, in * out);
    const auto k = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(kk))));
    const Tensor d = module_delta(m, {out, in, k, k});
    return std::make_shared<const nets::ConvAdapter>(Tensor(), ops::mul(d, strength), base.params(), mode);
}

}  // namespace weft::lora
