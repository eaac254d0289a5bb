// nodes/compute_mode.h — the op arithmetic a loader node builds its network in: the session's
// precision (SessionOptions::precision), F32 when this CPU has no native bf16 (oneDNN would
// emulate it far more slowly than it computes fp32).
#pragma once

#include "tensor/ops/compute.h"

#include <weft/node.h>

namespace weft::nodes {

inline ops::Compute compute_mode(const NodeContext& ctx) {
    return ctx.precision() == Precision::BF16 && ops::bf16_supported() ? ops::Compute::BF16 : ops::Compute::F32;
}

}  // namespace weft::nodes
