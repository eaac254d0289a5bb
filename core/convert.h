// core/convert.h — element conversions between the floating-point storage formats and f32.
//
// The span functions convert whole buffers (vectorised with F16C / AVX2 / AVX-512 when the build
// targets a CPU that has them, scalar otherwise); the scalar functions convert one value and are
// the reference the vector paths must match bit for bit.
//
// Rounding: f32 -> f16 / bf16 / f8 rounds to nearest, ties to even. NaN stays NaN (quiet).
// f32 -> F8_E4M3 (the "fn" variant: no infinities) turns values beyond its range into NaN, as
// PyTorch's float8_e4m3fn cast does; f32 -> F8_E5M2 overflows to infinity like IEEE formats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <weft/tensor.h>

namespace weft {

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t b);
uint16_t f32_to_bf16(float f);
float f8e4m3_to_f32(uint8_t v);
uint8_t f32_to_f8e4m3(float f);
float f8e5m2_to_f32(uint8_t v);
uint8_t f32_to_f8e5m2(float f);

/// `out.size()` must equal `in.size()` (checked; throws weft::Error otherwise).
void convert_f16_to_f32(std::span<const uint16_t> in, std::span<float> out);
void convert_f32_to_f16(std::span<const float> in, std::span<uint16_t> out);
void convert_bf16_to_f32(std::span<const uint16_t> in, std::span<float> out);
void convert_f32_to_bf16(std::span<const float> in, std::span<uint16_t> out);

/// Converts `n` contiguous elements of dtype `from` at `src` into dtype `to` at `dst` (buffers must
/// not overlap). Floats -> integers truncate toward zero (NaN -> 0, out-of-range saturates to
/// int64 first, then wraps to the narrower type as a C++ cast would); anything -> BOOL is "!= 0".
void convert_elements(const std::byte* src, DType from, std::byte* dst, DType to, size_t n);

/// Which implementation the span functions use in this build ("avx512", "f16c+avx2", "scalar").
const char* convert_backend();

}  // namespace weft
