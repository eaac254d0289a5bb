// include/weft/precision.h — the arithmetic networks run in.
//
//   weft::SessionOptions o;
//   o.precision = weft::parse_precision("bf16");   // weft run --precision bf16
#pragma once

#include <string_view>

namespace weft {

/// The arithmetic of the networks loader nodes build (checkpoints, UNet, CLIP, VAE, ControlNet,
/// upscalers). BF16 keeps weights in bfloat16 and multiplies in bf16 with fp32 accumulation: half
/// the weight memory and about 1.5x the speed on CPUs with AVX512-BF16; outputs then differ from
/// fp32 by about 1e-2 relative, so matching ComfyUI's fp32 output to 1e-4 needs F32 (the default).
enum class Precision { F32, BF16 };

/// "fp32" or "bf16" (also "f32", "float32", "bfloat16"); throws weft::Error otherwise.
Precision parse_precision(std::string_view text);

/// "fp32" or "bf16".
const char* precision_name(Precision p);

}  // namespace weft
