// models/sampling/conditioning_eval.h — one model evaluation under a CONDITIONING list, as
// ComfyUI's calc_cond_batch combines its entries (sd-models.md §4.2): each active entry's
// prediction, weighted by its strength (and area / mask where set), summed and divided by the
// summed weights. Control hooks ("control" in an entry's extras) add their residuals inside the
// UNet.
#pragma once

#include "models/nets/unet.h"
#include "models/sampling/model_sampling.h"

#include <weft/value.h>

namespace weft::models {

struct ConditionedModel {
    const nets::UNet& unet;
    const ModelSamplingDiscrete& sampling;
};

/// The network's raw output (eps or v) for `x_in` (c_in * x, [B, C, h, w]) at `timestep`
/// under `cond`.
Tensor predict_conditioned(const ConditionedModel& model, const Tensor& x_in, float timestep, const Conditioning& cond);

}  // namespace weft::models
