// tests/models/models_test_util.h — where the goldens are, and skipping when they are absent.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

namespace weft::testing {

inline std::filesystem::path shared_dir() { return std::filesystem::path(WEFT_SHARED_DIR); }
inline std::filesystem::path goldens_dir() { return shared_dir() / "goldens"; }

}  // namespace weft::testing

/// Skips the current test with a message when `path` does not exist.
#define WEFT_REQUIRE_PATH(path)                                                              \
    do {                                                                                     \
        if (!std::filesystem::exists(path))                                                  \
            GTEST_SKIP() << "reference data not found: " << (path).string()                  \
                         << " (set WEFT_SHARED_DIR to the shared folder)";                   \
    } while (0)

#include "npy.h"

#include <vector>

namespace weft::testing {

/// The .npy file's values as floats, in C order.
inline std::vector<float> npy_floats(const std::filesystem::path& p) {
    const Tensor t = load_npy(p);
    return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

}  // namespace weft::testing
