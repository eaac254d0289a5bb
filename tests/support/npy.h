// tests/support/npy.h — reading NumPy .npy files (the goldens' format) into F32 tensors.
#pragma once

#include <weft/tensor.h>

#include <filesystem>

namespace weft::testing {

/// Loads a little-endian C-order .npy of float32, float64, int64 or int32 as an F32 tensor;
/// throws std::runtime_error naming the file otherwise.
Tensor load_npy(const std::filesystem::path& path);

}  // namespace weft::testing
