// tensor/ops/compute.h — how the heavy ops (conv2d, linear, matmul, attention) do their arithmetic,
// and the one-time thread setup of the oneDNN backend.
//
//   weft::ops::init();                                    // once; idempotent
//   auto mode = weft::ops::bf16_supported() ? weft::ops::Compute::BF16 : weft::ops::Compute::F32;
//   weft::ops::PackedLinear fc(weight, bias, mode);        // per model load
//
// Threading: oneDNN (Debian's build) runs on an OpenMP team sized to the hardware concurrency;
// elementwise and norm ops use oneTBB parallel_for. The heavy ops must be called from one thread at a
// time (the executor runs model nodes as exclusive nodes): two concurrent calls would each start a
// full OpenMP team and oversubscribe the cores. Light ops may be called from anywhere.
#pragma once

#include <cstdint>

namespace weft::ops {

/// Arithmetic of the heavy ops. BF16: inputs and weights rounded to bfloat16, products accumulated
/// and returned in F32 (activations stay F32 tensors between ops).
enum class Compute : uint8_t { F32, BF16 };

const char* compute_name(Compute c);

/// Sets the OpenMP thread count to std::thread::hardware_concurrency() and creates the oneDNN
/// engine. Called implicitly by every heavy op; call it explicitly at start-up to pay the cost early.
void init();

/// Whether this CPU runs oneDNN bf16 matmul/convolution natively (AVX512-BF16 or AMX); without it
/// oneDNN would emulate bf16 slowly or refuse, so models should pick Compute::F32.
bool bf16_supported();

}  // namespace weft::ops
