#include "nodes/latent_helpers.h"

#include "nodes/tensor_helpers.h"
#include "tensor/resample.h"

#include <algorithm>

namespace weft::nodes {

Tensor reshape_latent_to(const Tensor& target, const Tensor& latent, bool repeat_batch) {
    Tensor out = latent.to(DType::F32);
    if (!std::equal(out.shape().begin() + 1, out.shape().end(), target.shape().begin() + 1, target.shape().end()))
        out = common_upscale(out, target.size(-1), target.size(-2), ResampleMethod::Bilinear, true);
    return repeat_batch ? repeat_to_batch(out, target.size(0)) : out;
}

}  // namespace weft::nodes
