// tensor/ops/reference.h — straightforward loop implementations of every op (namespace
// weft::ops::ref), accumulating in double. They define what the fast ops must compute and exist for
// the tests; they are single-threaded and slow. Compute::BF16 rounds inputs and weights to bfloat16
// first, as the fast path does.
#pragma once

#include "attention.h"
#include "conv2d.h"
#include "layout.h"

#include <weft/tensor.h>

#include <vector>

namespace weft::ops::ref {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x, bool tanh_approx = false);
Tensor quick_gelu(const Tensor& x);
Tensor geglu(const Tensor& x);
Tensor softmax(const Tensor& x);

Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, float eps);
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);

Tensor concat(const std::vector<Tensor>& parts, int64_t dim);
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode = PadMode::Constant,
           float value = 0.0f);
Tensor pixel_shuffle(const Tensor& x, int64_t r);
Tensor pixel_unshuffle(const Tensor& x, int64_t r);
Tensor upsample_nearest(const Tensor& x, int64_t out_h, int64_t out_w);
Tensor upsample_bilinear(const Tensor& x, int64_t out_h, int64_t out_w);

Tensor matmul(const Tensor& a, const Tensor& b, Compute mode = Compute::F32);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Compute mode = Compute::F32);
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p = {},
              Compute mode = Compute::F32);
/// Materialises the full score matrix and uses a plain two-pass softmax.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionParams& p = {},
                 Compute mode = Compute::F32);

}  // namespace weft::ops::ref
