// families/sd1/applied_control.h — a ControlNet or T2I-adapter applied to conditioning with a hint
// image (what ControlNetApply / ControlNetApplyAdvanced put under "control" in each entry's extras).
//
//   auto hook = std::make_shared<const AppliedControl>(model, hint_nchw, ControlSettings{.strength = 0.8},
//                                                       previous_hook /* or nullptr */);
//   models::ControlResiduals r = hook->residuals(query);   // this one's plus the previous ones'
//
// Per evaluation (ComfyUI's ControlNet/T2IAdapter.get_control): the previous hook's residuals; then,
// unless sigma lies outside [percent_to_sigma(end), percent_to_sigma(start)], this model's: the hint
// resized to 8x the latent (nearest-exact, centre crop; cached per size), its batch matched to the
// evaluation's rows; ControlNet residuals computed from (c_in·x, timestep, context) or the adapter's
// features (computed once per size); each multiplied by `strength` (spatial means for *_shuffle
// ControlNets) and added to the previous ones.
//
// Thread safety: residuals() may be called from several threads (the caches are locked).
#pragma once

#include "families/sd1/control_model.h"
#include "sampling/control_hook.h"

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace weft::models {

struct ControlSettings {
    double strength = 1.0;
    double start_percent = 0.0;
    double end_percent = 1.0;
};

class AppliedControl : public ControlHook {
public:
    /// `hint` [B, C, H, W] (an IMAGE moved to channels-first), values as given.
    AppliedControl(std::shared_ptr<const ControlModel> model, Tensor hint, ControlSettings settings,
                   std::shared_ptr<const ControlHook> previous);

    models::ControlResiduals residuals(const ControlQuery& q) const override;

    const ControlModel& model() const { return *model_; }
    const ControlSettings& settings() const { return settings_; }
    const std::shared_ptr<const ControlHook>& previous() const { return previous_; }

private:
    models::ControlResiduals own_residuals(const ControlQuery& q) const;
    Tensor hint_for(int64_t width, int64_t height) const;

    std::shared_ptr<const ControlModel> model_;
    Tensor hint_;
    ControlSettings settings_;
    std::shared_ptr<const ControlHook> previous_;

    mutable std::mutex mutex_;
    mutable std::map<std::pair<int64_t, int64_t>, Tensor> resized_;                          // (w, h) -> hint
    mutable std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<Tensor>> features_;  // (w, h, batch)
};

/// a + b for every residual both define (either alone otherwise), as ComfyUI's control_merge sums
/// chained ControlNets; batches of one broadcast.
models::ControlResiduals add_residuals(models::ControlResiduals a, const models::ControlResiduals& b);

}  // namespace weft::models
