// families/sd1/sd1_family.h — SD1.x's row of the family registry: detection from a file's keys and
// shapes, its latent format, model sampling and loaders.
#pragma once

#include "families/family.h"

namespace weft::models {

/// SD1.x's descriptor. SD2.x (linear proj_in, OpenCLIP text encoder, context 1024, v-prediction
/// at 768) is not matched: its transformer layout is not implemented, and detection says so.
const Family& sd1_family();

}  // namespace weft::models
