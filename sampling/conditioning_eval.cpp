// sampling/conditioning_eval.cpp — process_conds (once per run) and calc_cond_batch (every
// model call), one UNet call per active entry.
#include "sampling/conditioning_eval.h"

#include "sampling/ksampler.h"
#include "sampling/tensor_math.h"
#include "tensor/ops/ops.h"

#include <weft/error.h>

#include <algorithm>
#include <cmath>

namespace weft::models {

namespace {

/// Rows of `t` repeated or cut to `b` (ComfyUI's repeat_to_batch_size).
Tensor rows_to(const Tensor& t, int64_t b) {
    if (t.size(0) == b) return t;
    if (t.size(0) > b) return t.slice(0, 0, b);
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < b; ++i) parts.push_back(t.slice(0, i % t.size(0), i % t.size(0) + 1));
    return ops::concat(parts, 0);
}

/// comfy.utils.resize_to_batch_size: rows picked by position when the batch differs.
Tensor resize_to_batch(const Tensor& t, int64_t b) {
    const int64_t n = t.size(0);
    if (n == b) return t;
    if (b <= 1) return t.slice(0, 0, b);
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < b; ++i) {
        int64_t src;
        if (b < n)
            src = std::min<int64_t>(static_cast<int64_t>(std::nearbyint(i * double(n - 1) / double(b - 1))), n - 1);
        else
            src = std::min<int64_t>(static_cast<int64_t>(std::floor((i + 0.5) * double(n) / double(b))), n - 1);
        parts.push_back(t.slice(0, src, src + 1));
    }
    return ops::concat(parts, 0);
}

/// comfy.utils.common_upscale(x, w, h, "bilinear", "center") for [B, C, H, W].
Tensor upscale_center(const Tensor& x, int64_t h, int64_t w) {
    Tensor s = tm::f32(x);
    const int64_t oh = s.size(2), ow = s.size(3);
    const double old_aspect = double(ow) / double(oh), new_aspect = double(w) / double(h);
    if (old_aspect > new_aspect) {
        const int64_t off = static_cast<int64_t>(std::nearbyint((ow - ow * (new_aspect / old_aspect)) / 2));
        s = s.slice(3, off, ow - off);
    } else if (old_aspect < new_aspect) {
        const int64_t off = static_cast<int64_t>(std::nearbyint((oh - oh * (old_aspect / new_aspect)) / 2));
        s = s.slice(2, off, oh - off);
    }
    return ops::upsample_bilinear(s.contiguous(), h, w);
}

std::optional<std::array<int64_t, 4>> area_cells(const Cond& c, int64_t h, int64_t w) {
    if (!c.area) return std::nullopt;
    const auto& v = c.area->hwyx;
    if (c.area->percentage) {
        // resolve_areas_and_cond_masks: sizes at least 1 cell, Python round() (half to even).
        auto r = [](double v) { return static_cast<int64_t>(std::nearbyint(v)); };
        return std::array<int64_t, 4>{std::max<int64_t>(1, r(v[0] * h)), std::max<int64_t>(1, r(v[1] * w)), r(v[2] * h), r(v[3] * w)};
    }
    return std::array<int64_t, 4>{static_cast<int64_t>(v[0]), static_cast<int64_t>(v[1]), static_cast<int64_t>(v[2]), static_cast<int64_t>(v[3])};
}

/// The inpainting UNet's extra channels (BaseModel.concat_cond with keys mask, masked_image).
Tensor concat_channels(const ConditionedModel& model, const Cond& item, const SamplingInputs& in) {
    const int64_t extra_ch = model.unet.in_channels() - in.shape[1];
    if (extra_ch <= 0) return {};
    const int64_t b = in.shape[0], h = in.shape[2], w = in.shape[3];
    Tensor latent;
    if (item.concat_latent_image.defined())
        latent = tm::scaled(item.concat_latent_image, 0.18215f);  // process_latent_in
    else
        latent = in.latent_image.defined() ? in.latent_image : Tensor::zeros(in.shape);
    Tensor mask;
    if (item.concat_mask.defined())
        mask = tm::f32(item.concat_mask);
    else if (in.denoise_mask.defined())
        mask = in.denoise_mask;
    if (latent.size(2) != h || latent.size(3) != w) latent = upscale_center(latent, h, w);
    latent = resize_to_batch(tm::f32(latent), b);
    std::vector<Tensor> parts;
    if (mask.defined()) {
        if (mask.dim() == 4) mask = mask.slice(1, 0, 1);
        mask = tm::f32(mask).reshape({-1, 1, mask.size(-2), mask.size(-1)});
        if (mask.size(2) != h || mask.size(3) != w) mask = upscale_center(mask, h, w);
        Tensor r = Tensor::zeros(mask.shape());
        for (int64_t i = 0; i < r.numel(); ++i) r.data<float>()[i] = std::nearbyint(mask.data<float>()[i]);
        parts = {resize_to_batch(r, b), latent};
    } else {
        // No mask: an all-ones mask and the latent of a blank (0.5 grey) image.
        static constexpr float kBlank[4] = {0.8223f, -0.6876f, 0.6364f, 0.1380f};
        Tensor blank = Tensor::zeros({b, in.shape[1], h, w});
        for (int64_t i = 0; i < b * in.shape[1]; ++i)
            std::fill_n(blank.data<float>() + i * h * w, h * w, in.shape[1] == 4 ? kBlank[i % 4] : 1.0f);
        parts = {Tensor::full({b, 1, h, w}, 1.0f), blank};
    }
    Tensor c = ops::concat(parts, 1);
    if (c.size(1) != extra_ch)
        throw Error(ErrorCode::InvalidInputType, "the inpainting model takes " + std::to_string(extra_ch) + " extra input channels; the conditioning gives " +
                                              std::to_string(c.size(1)));
    return c;
}

CondEntry resolve(const ConditionedModel& model, const Cond& item, const SamplingInputs& in) {
    const int64_t h = in.shape[2], w = in.shape[3];
    CondEntry e;
    e.context = item.context;
    e.area = area_cells(item, h, w);
    e.strength = item.strength;
    if (item.mask.defined()) {
        Tensor mask = resize_mask(item.mask, h, w);
        e.mask_strength = item.mask_strength;
        if (item.set_area_to_bounds) {
            // The bounding box of max |mask| over the batch, at least 8 cells each way.
            int64_t y0 = h, y1 = -1, x0 = w, x1 = -1;
            const float* p = mask.data<float>();
            for (int64_t bi = 0; bi < mask.size(0); ++bi)
                for (int64_t y = 0; y < h; ++y)
                    for (int64_t x = 0; x < w; ++x)
                        if (p[(bi * h + y) * w + x] != 0.0f) y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
            if (y1 < 0)
                e.area = std::array<int64_t, 4>{8, 8, 0, 0};
            else
                e.area = std::array<int64_t, 4>{std::max<int64_t>(8, y1 - y0 + 1), std::max<int64_t>(8, x1 - x0 + 1), y0, x0};
        }
        e.mask = mask;
    }
    if (item.start_percent) e.sigma_start = static_cast<float>(model.sampling.percent_to_sigma(*item.start_percent));
    if (item.end_percent) e.sigma_end = static_cast<float>(model.sampling.percent_to_sigma(*item.end_percent));
    e.control = item.control;
    e.control_apply_to_uncond = item.control_apply_to_uncond;
    e.concat = concat_channels(model, item, in);
    return e;
}

/// create_cond_with_same_area_if_none: an entry of `conds` for c's area, taking the model inputs
/// (context, concat) of the smallest entry of `conds` that encloses it.
void add_same_area(PreparedConditioning& conds, const CondEntry& c) {
    if (!c.area) return;
    const auto& ca = *c.area;
    const CondEntry* smallest = nullptr;
    for (const CondEntry& x : conds) {
        if (x.area) {
            const auto& a = *x.area;
            const bool inside = ca[2] >= a[2] && ca[3] >= a[3] && ca[0] + ca[2] <= a[0] + a[2] && ca[1] + ca[3] <= a[1] + a[3];
            if (!inside) continue;
            if (!smallest || !smallest->area || (*smallest->area)[0] * (*smallest->area)[1] > a[0] * a[1]) smallest = &x;
        } else if (!smallest) {
            smallest = &x;
        }
    }
    if (!smallest || (smallest->area && *smallest->area == ca)) return;
    CondEntry out = c;
    out.context = smallest->context;
    out.concat = smallest->concat;
    conds.push_back(std::move(out));
}

/// Rows [y, y+h) x [x, x+w) of every channel of a contiguous [B, C, H, W] tensor.
Tensor crop(const Tensor& t, const std::array<int64_t, 4>& a) { return t.slice(2, a[2], a[2] + a[0]).slice(3, a[3], a[3] + a[1]).contiguous(); }

}  // namespace

Tensor resize_mask(const Tensor& mask, int64_t h, int64_t w) {
    Tensor m = tm::f32(mask);
    if (m.dim() == 2) m = m.reshape({1, m.size(0), m.size(1)});
    if (m.dim() == 4 && m.size(1) == 1) m = m.reshape({m.size(0), m.size(2), m.size(3)});
    if (m.dim() != 3) throw Error(ErrorCode::InvalidInputType, "a conditioning mask must be [B, H, W]; got " + mask.describe());
    if (m.size(1) == h && m.size(2) == w) return m;
    Tensor r = ops::upsample_bilinear(m.reshape({m.size(0), 1, m.size(1), m.size(2)}), h, w);
    return r.reshape({m.size(0), h, w});
}

std::vector<PreparedConditioning> prepare_conditioning(const ConditionedModel& model, const std::vector<const CondList*>& lists,
                                                       const SamplingInputs& inputs) {
    if (inputs.shape.size() != 4) throw Error(ErrorCode::InvalidInputType, "conditioning needs a [B, C, h, w] latent; got " + shape_string(inputs.shape));
    std::vector<PreparedConditioning> out(lists.size());
    for (size_t k = 0; k < lists.size(); ++k)
        if (lists[k])
            for (const Cond& item : *lists[k]) out[k].push_back(resolve(model, item, inputs));
    // Every area entry gets a same-area partner in each other list; entries appended to a list are
    // themselves visited when that list's turn comes, as in ComfyUI's loop.
    for (size_t k = 0; k < out.size(); ++k)
        for (size_t i = 0; i < out[k].size(); ++i)
            for (size_t kk = 0; kk < out.size(); ++kk)
                if (kk != k && lists[kk]) {
                    const CondEntry c = out[k][i];
                    add_same_area(out[kk], c);
                }
    // apply_empty_x_to_equal_area: flagged positive controls (entries without an area) go to the
    // other lists' entries without an area or a control, round robin, unless one already has one.
    if (!out.empty() && lists[0]) {
        std::vector<std::shared_ptr<const ControlHook>> cnets;
        for (const CondEntry& e : out[0])
            if (e.control_apply_to_uncond && !e.area && e.control) cnets.push_back(e.control);
        for (size_t k = 1; k < out.size() && !cnets.empty(); ++k) {
            std::vector<size_t> other;
            bool has_own = false;
            for (size_t i = 0; i < out[k].size(); ++i) {
                if (out[k][i].area) continue;
                if (out[k][i].control)
                    has_own = true;
                else
                    other.push_back(i);
            }
            if (has_own || other.empty()) continue;
            for (size_t x = 0; x < cnets.size(); ++x) out[k][other[x % other.size()]].control = cnets[x];
        }
    }
    return out;
}

Tensor entry_weight(const CondEntry& e, const Shape& xs) {
    const int64_t b = xs[0], ch = xs[1], H = xs[2], W = xs[3];
    std::array<int64_t, 4> a = e.area.value_or(std::array<int64_t, 4>{H, W, 0, 0});
    a[0] = std::min(H - a[2], a[0]);
    a[1] = std::min(W - a[3], a[1]);
    const int64_t ah = a[0], aw = a[1];
    Tensor m = Tensor::zeros({b, ch, ah, aw});
    float* p = m.data<float>();
    const float s = static_cast<float>(e.strength);
    if (e.mask.defined()) {
        // mask[:B] cropped to the area, times mask_strength, repeated over B // Bm and channels.
        const int64_t mb = std::min(e.mask.size(0), b);
        if (b % mb != 0)
            throw Error(ErrorCode::InvalidInputType, "a conditioning mask batch of " + std::to_string(e.mask.size(0)) + " does not fit a latent batch of " +
                                                  std::to_string(b));
        const float ms = static_cast<float>(e.mask_strength);
        const float* src = e.mask.data<float>();
        for (int64_t bi = 0; bi < b; ++bi)
            for (int64_t c = 0; c < ch; ++c)
                for (int64_t y = 0; y < ah; ++y)
                    for (int64_t x = 0; x < aw; ++x)
                        p[((bi * ch + c) * ah + y) * aw + x] = src[((bi % mb) * H + a[2] + y) * W + a[3] + x] * ms * s;
        return m;
    }
    std::fill_n(p, m.numel(), s);
    if (!e.area) return m;
    // Feathering towards inner borders: up to 8 cells (a quarter of the area), weights (t+1)/rr.
    auto feather = [&](int dim, int64_t offset, int64_t size, int64_t full) {
        const int64_t rr = std::min<int64_t>(8, size / 4);
        auto scale_line = [&](int64_t pos, float f) {
            for (int64_t bc = 0; bc < b * ch; ++bc)
                if (dim == 0)
                    for (int64_t x = 0; x < aw; ++x) p[(bc * ah + pos) * aw + x] *= f;
                else
                    for (int64_t y = 0; y < ah; ++y) p[(bc * ah + y) * aw + pos] *= f;
        };
        if (offset != 0)
            for (int64_t t = 0; t < rr; ++t) scale_line(t, static_cast<float>((1.0 / rr) * (t + 1)));
        if (size + offset < full)
            for (int64_t t = 0; t < rr; ++t) scale_line(size - 1 - t, static_cast<float>((1.0 / rr) * (t + 1)));
    };
    feather(0, a[2], ah, H);
    feather(1, a[3], aw, W);
    return m;
}

Tensor predict_conditioned(const ConditionedModel& model, const Tensor& x_raw, float sigma, const PreparedConditioning& cond) {
    const Tensor x = tm::f32(x_raw);
    const Shape& xs = x.shape();
    const int64_t b = xs[0], ch = xs[1], H = xs[2], W = xs[3];
    Tensor sum = Tensor::zeros(xs);
    Tensor count = Tensor::full(xs, 1e-37f);
    float* so = sum.data<float>();
    float* co = count.data<float>();
    const Tensor t = Tensor::full({b}, model.sampling.timestep(sigma));
    for (const CondEntry& e : cond) {
        if (e.sigma_start && sigma > *e.sigma_start) continue;
        if (e.sigma_end && sigma < *e.sigma_end) continue;
        std::array<int64_t, 4> a = e.area.value_or(std::array<int64_t, 4>{H, W, 0, 0});
        a[0] = std::min(H - a[2], a[0]);
        a[1] = std::min(W - a[3], a[1]);
        if (a[0] <= 0 || a[1] <= 0) continue;
        const bool whole = a[0] == H && a[1] == W;
        const Tensor input_x = whole ? x : crop(x, a);
        Tensor x_in = model.sampling.calculate_input(sigma, input_x);
        const Tensor context = rows_to(e.context.to(DType::F32), b).contiguous();
        ControlResiduals residuals;
        if (e.control) residuals = e.control->residuals(ControlQuery{x_in, t, sigma, context, model.sampling});
        if (e.concat.defined()) {
            const Tensor c = rows_to(e.concat, b);
            x_in = ops::concat({x_in, whole ? c.contiguous() : crop(c.contiguous(), a)}, 1);
        }
        const Tensor out = model.unet.forward(x_in, t, context, residuals.empty() ? nullptr : &residuals);
        const Tensor denoised = model.sampling.calculate_denoised(sigma, out, input_x);
        const Tensor weight = entry_weight(e, xs);
        const float* d = denoised.data<float>();
        const float* wp = weight.data<float>();
        const int64_t ah = a[0], aw = a[1];
        for (int64_t bc = 0; bc < b * ch; ++bc)
            for (int64_t y = 0; y < ah; ++y)
                for (int64_t xx = 0; xx < aw; ++xx) {
                    const int64_t src = (bc * ah + y) * aw + xx, dst = (bc * H + a[2] + y) * W + a[3] + xx;
                    so[dst] += d[src] * wp[src];
                    co[dst] += wp[src];
                }
    }
    for (int64_t i = 0; i < sum.numel(); ++i) so[i] /= co[i];
    return sum;
}

DenoiseFn conditioned_denoiser(const ConditionedModel& model, std::vector<PreparedConditioning> lists) {
    return [model, lists = std::move(lists)](const Tensor& x, float sigma, CondKind kind) {
        const size_t k = static_cast<size_t>(kind);
        if (k >= lists.size()) return Tensor::zeros(x.shape(), DType::F32);
        return predict_conditioned(model, x, sigma, lists[k]);
    };
}

DenoiseFn conditioned_denoiser(const ConditionedModel& model, const std::vector<const CondList*>& lists, const Tensor& latent,
                               const Tensor& noise_mask, float latent_scale) {
    SamplingInputs in;
    in.shape = latent.shape();
    in.latent_image = latent_to_model_space(latent, latent_scale);
    if (noise_mask.defined()) in.denoise_mask = prepare_noise_mask(noise_mask, latent.shape());
    return conditioned_denoiser(model, prepare_conditioning(model, lists, in));
}

}  // namespace weft::models
