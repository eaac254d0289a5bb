// blocks/lora/lora_patch.h — the patch math of LoRA, LoHa, LoKr and diff modules (sd-models.md §6.3):
// the weight delta a module makes, the patched weight W' = W + strength·scale·ΔW (the reference),
// and the adapters that add the same delta in a layer's forward without rewriting W.
//
//   Tensor w2 = patched_weight(w, {{&module, 0.8f}});                  // F32, W's shape
//   auto a = linear_adapter(module, 0.8f, in, out, ops::Compute::F32);  // y += 0.8·scale·up(down(x))
#pragma once

#include "blocks/lora/lora_file.h"
#include "blocks/layers.h"

#include <memory>
#include <utility>
#include <vector>

namespace weft::lora {

/// alpha / rank (rank = the down matrix's rows; LoHa: hada_w1_b's rows; LoKr: the w2_b or w1_b
/// rank); 1 when the file has no alpha (or, for LoKr, no factored matrix).
float module_scale(const LoraModule& m);

/// scale·ΔW as F32 shaped `weight_shape` (ΔW's element count must match; throws weft::Error naming
/// the module otherwise).
Tensor module_delta(const LoraModule& m, const Shape& weight_shape);

/// W + Σ strength_i·scale_i·ΔW_i computed in F32, then cast to `out` (ComfyUI casts the patched
/// weight back to the weight's dtype).
Tensor patched_weight(const Tensor& w, const std::vector<std::pair<const LoraModule*, float>>& patches, DType out = DType::F32);

/// The adapter `m` makes on a linear layer [out, in] at `strength`: low-rank for LoRA, a dense
/// delta for LoHa, LoKr and diffs. Throws weft::Error naming the module when shapes disagree.
std::shared_ptr<const nets::LinearAdapter> linear_adapter(const LoraModule& m, float strength, int64_t in, int64_t out, ops::Compute mode);

/// The same for a convolution with `base`'s channels, stride and padding (LoRA: a down convolution
/// with the layer's kernel, then a 1x1 up convolution).
std::shared_ptr<const nets::ConvAdapter> conv_adapter(const LoraModule& m, float strength, const ops::PackedConv2d& base, ops::Compute mode);

}  // namespace weft::lora
