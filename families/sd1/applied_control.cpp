#include "families/sd1/applied_control.h"

#include "families/sd1/control_hint.h"
#include "tensor/ops/ops.h"

#include <weft/error.h>

#include <vector>

namespace weft::models {

namespace {

Tensor add_one(const Tensor& a, const Tensor& b) {
    if (!a.defined()) return b;
    if (!b.defined()) return a;
    return ops::add(a, b);
}

void add_list(std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    if (a.size() < b.size()) a.resize(b.size());
    for (size_t i = 0; i < b.size(); ++i) a[i] = add_one(a[i], b[i]);
}

/// Each channel replaced by its spatial mean (ComfyUI's global_average_pooling for shuffle models).
Tensor spatial_mean(const Tensor& x_in) {
    Tensor x = x_in.to(DType::F32).contiguous();
    const int64_t planes = x.size(0) * x.size(1), hw = x.size(2) * x.size(3);
    Tensor out = Tensor::zeros(x.shape());
    for (int64_t p = 0; p < planes; ++p) {
        const float* s = x.data<float>() + p * hw;
        float sum = 0;
        for (int64_t i = 0; i < hw; ++i) sum += s[i];
        const float mean = sum / static_cast<float>(hw);
        float* d = out.data<float>() + p * hw;
        for (int64_t i = 0; i < hw; ++i) d[i] = mean;
    }
    return out;
}

/// `t` with its batch of one repeated to `batch` rows (the UNet adds residuals shape for shape).
Tensor to_batch(const Tensor& t, int64_t batch) {
    if (!t.defined() || t.size(0) == batch || t.size(0) != 1) return t;
    return ops::concat(std::vector<Tensor>(static_cast<size_t>(batch), t), 0);
}

}  // namespace

models::ControlResiduals add_residuals(models::ControlResiduals a, const models::ControlResiduals& b) {
    add_list(a.input, b.input);
    add_list(a.skip, b.skip);
    a.middle = add_one(a.middle, b.middle);
    return a;
}

AppliedControl::AppliedControl(std::shared_ptr<const ControlModel> model, Tensor hint, ControlSettings settings,
                               std::shared_ptr<const ControlHook> previous)
    : model_(std::move(model)), hint_(hint.to(DType::F32).contiguous()), settings_(settings), previous_(std::move(previous)) {
    if (!model_) throw Error(ErrorCode::InvalidInputType, "AppliedControl needs a control model");
    if (hint_.dim() != 4) throw Error(ErrorCode::InvalidInputType, "a control hint is [B, C, H, W]; got " + hint_.describe());
    const int64_t want = model_->controlnet ? model_->controlnet->hint_channels() : model_->adapter->in_channels();
    // Single-channel adapters average a colour hint; otherwise the channels must agree.
    const bool averaged = model_->adapter && want == 1;
    if (!averaged && hint_.size(1) != want)
        throw Error(ErrorCode::InvalidInputType, model_->path + " takes hint images with " + std::to_string(want) + " channels; the image has " +
                                              std::to_string(hint_.size(1)))
            .at_path(model_->path);
}

Tensor AppliedControl::hint_for(int64_t width, int64_t height) const {
    std::lock_guard lock(mutex_);
    auto& slot = resized_[{width, height}];
    if (!slot.defined()) {
        Tensor h = resize_control_hint(hint_, width, height);
        if (model_->adapter && model_->adapter->in_channels() == 1 && h.size(1) > 1) {
            // torch.mean(hint, 1, keepdim=True): a channel average.
            Tensor sum = h.slice(1, 0, 1);
            for (int64_t c = 1; c < h.size(1); ++c) sum = ops::add(sum, h.slice(1, c, c + 1));
            h = ops::div(sum, static_cast<float>(h.size(1)));
        }
        slot = h.contiguous();
    }
    return slot;
}

models::ControlResiduals AppliedControl::own_residuals(const ControlQuery& q) const {
    const int64_t batch = q.x_in.size(0), lh = q.x_in.size(2), lw = q.x_in.size(3);
    const float strength = static_cast<float>(settings_.strength);
    models::ControlResiduals r;
    if (model_->controlnet) {
        const nets::ControlNet& cn = *model_->controlnet;
        if (cn.context_dim() != 0 && q.context.size(2) != cn.context_dim())
            throw Error(ErrorCode::InvalidInputType, model_->path + " is a ControlNet for a model with " + std::to_string(cn.context_dim()) +
                                                  "-wide text conditioning; this conditioning is " + std::to_string(q.context.size(2)) +
                                                  " wide (a ControlNet for another model family?)")
                .at_path(model_->path);
        const Tensor hint = broadcast_control_hint(hint_for(lw * 8, lh * 8), batch, q.batched_number);
        try {
            r = cn.forward(q.x_in, hint, q.timesteps, q.context);
        } catch (Error& e) {
            e.at_path(model_->path);
            throw;
        }
        for (Tensor& t : r.skip) t = ops::mul(model_->global_average_pooling ? spatial_mean(t) : t, strength);
        r.middle = ops::mul(model_->global_average_pooling ? spatial_mean(r.middle) : r.middle, strength);
    } else {
        const nets::T2IAdapter& ad = *model_->adapter;
        const int64_t f = ad.unshuffle();
        const int64_t w = (lw * 8 + f - 1) / f * f, h = (lh * 8 + f - 1) / f * f;  // rounded up to the unshuffle factor
        const Tensor hint = broadcast_control_hint(hint_for(w, h), batch, q.batched_number);
        std::vector<Tensor> features;
        {
            std::lock_guard lock(mutex_);
            auto it = features_.find({w, h, hint.size(0)});
            if (it != features_.end()) features = it->second;
        }
        if (features.empty()) {
            try {
                features = ad.forward(hint);
            } catch (Error& e) {
                e.at_path(model_->path);
                throw;
            }
            std::lock_guard lock(mutex_);
            features_[{w, h, hint.size(0)}] = features;
        }
        // Feature i follows the last res-block of level i: input block 3i+2 of an SD1 UNet.
        r.input.resize(3 * features.size());
        for (size_t i = 0; i < features.size(); ++i) r.input[3 * i + 2] = to_batch(ops::mul(features[i], strength), batch);
    }
    return r;
}

models::ControlResiduals AppliedControl::residuals(const ControlQuery& q) const {
    models::ControlResiduals prev = previous_ ? previous_->residuals(q) : models::ControlResiduals{};
    if (q.sigma > q.sampling.percent_to_sigma(settings_.start_percent) || q.sigma < q.sampling.percent_to_sigma(settings_.end_percent))
        return prev;
    return add_residuals(own_residuals(q), prev);
}

}  // namespace weft::models
