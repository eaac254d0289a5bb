// nodes/sampling_progress.h — the step callback every sampling node gives the sampler: one
// progress report per step (which also stops sampling when the run is cancelled) and, when the run
// asked for previews, the step's Latent2RGB preview (models/sampling/latent_preview.h).
#pragma once

#include "sampling/sampler.h"

#include <weft/node.h>

namespace weft::nodes {

/// A StepCallback reporting to `ctx`, which must outlive the sampling.
models::StepCallback sampling_progress(NodeContext& ctx);

}  // namespace weft::nodes
