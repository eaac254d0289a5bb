// sampling/control_hook.h — the seam between conditioning and ControlNet-like models.
//
// ControlNetApply(Advanced) puts a ControlHook into each conditioning entry's extras under
// "control" (a weft::Value Object holding std::shared_ptr<const ControlHook>). At every model
// evaluation the sampler's conditioning evaluation asks the hook for residuals and hands them
// to UNet::forward. A hook chains to the one applied before it (several ControlNets) and adds
// their residuals, as ComfyUI's control chain does.
#pragma once

#include "sampling/diffusion_network.h"
#include "sampling/model_sampling.h"

#include <weft/tensor.h>

namespace weft::models {

/// What one model evaluation looks like to a hook. The batch of x_in may be a concatenation of
/// several conditioning entries' rows (positive and negative); `context` has the same rows.
struct ControlQuery {
    const Tensor& x_in;       // the UNet's input (c_in * x), [B, C, h, w]
    const Tensor& timesteps;  // [B]
    double sigma = 0;         // this step's sigma (start/end percent are compared against it)
    const Tensor& context;    // cross-attention context, [B, T, D]
    const ModelSamplingDiscrete& sampling;
    /// How many conditioning entries' rows x_in stacks (ComfyUI's batched_number, e.g. 2 for
    /// positive and negative evaluated together): a hint batch is repeated per entry.
    int64_t batched_number = 1;
};

class ControlHook {
public:
    virtual ~ControlHook() = default;
    /// The residuals of this hook and the ones chained before it, summed; empty when none is
    /// active at q.sigma.
    virtual ControlResiduals residuals(const ControlQuery& q) const = 0;
    /// Type name for Values holding a hook.
    static constexpr const char* kTypeName = "CONTROL_HOOK";
};

}  // namespace weft::models
