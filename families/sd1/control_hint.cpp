#include "families/sd1/control_hint.h"

#include "tensor/ops/ops.h"
#include "tensor/resample.h"

#include <weft/error.h>

#include <vector>

namespace weft::models {

Tensor resize_control_hint(const Tensor& hint, int64_t width, int64_t height) {
    if (hint.dim() != 4) throw Error(ErrorCode::InvalidInputType, "a control hint is [B, C, H, W]; got " + hint.describe());
    return common_upscale(hint, width, height, ResampleMethod::NearestExact, true);
}

Tensor broadcast_control_hint(const Tensor& hint, int64_t batch, int64_t batched_number) {
    const int64_t have = hint.size(0);
    if (have == 1 || have == batch) return hint;
    const int64_t per_entry = batch / std::max<int64_t>(batched_number, 1);
    Tensor t = hint.slice(0, 0, std::min(per_entry, have));
    if (per_entry > t.size(0)) {
        const int64_t n = t.size(0);
        std::vector<Tensor> parts(static_cast<size_t>(per_entry / n), t);
        if (per_entry % n) parts.push_back(t.slice(0, 0, per_entry % n));
        t = ops::concat(parts, 0);
    }
    if (t.size(0) == batch) return t.contiguous();
    return ops::concat(std::vector<Tensor>(static_cast<size_t>(std::max<int64_t>(batched_number, 1)), t), 0);
}

}  // namespace weft::models
