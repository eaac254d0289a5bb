// nodes/composite.h — pasting one [B,C,H,W] batch into another through an optional mask, as
// comfy_extras.nodes_mask.composite does for ImageCompositeMasked and LatentCompositeMasked.
#pragma once

#include <weft/tensor.h>

#include <cstdint>

namespace weft::nodes {

/// Returns `destination` with `source` pasted at (x, y) (in units of `multiplier`: 1 for images,
/// 8 for latents). `source` is first resized to the destination (bilinear) when `resize_source`,
/// and repeated or cut to the destination's batch. `mask` (any [..., H, W]; undefined = all ones)
/// is resized bilinearly to the source and blends source over destination. The pasted region is
/// cut at the destination's borders.
Tensor composite_masked(const Tensor& destination, const Tensor& source, int64_t x, int64_t y, const Tensor& mask,
                        int64_t multiplier, bool resize_source);

}  // namespace weft::nodes
