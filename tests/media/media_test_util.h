// tests/media/media_test_util.h — small helpers for the media tests: deterministic IMAGE batches,
// a scratch folder, file bytes, and a check that a call throws weft::Error naming something.
#pragma once

#include <weft/error.h>
#include <weft/tensor.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <unistd.h>

namespace weft::media_testing {

/// IMAGE [n, h, w, c] with values on the 8-bit grid (k/255), different in every frame, so 8-bit
/// codecs round-trip them exactly when lossless.
inline Tensor test_frames(int64_t n, int64_t h, int64_t w, int64_t c) {
    Tensor t = Tensor::zeros({n, h, w, c});
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = float((i * 37 + i / 5) % 256) / 255.0f;
    return t;
}

/// A fresh folder under the system temp folder, removed at the end of the test.
struct ScratchDir {
    std::filesystem::path path;
    explicit ScratchDir(const std::string& name)
        : path(std::filesystem::temp_directory_path() / ("weft_media_" + name + "_" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

inline std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

/// `f` throws a weft::Error of `type` whose text (message, details, path) contains `needle`.
inline void expect_error(const std::function<void()>& f, const std::string& type, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no error; expected " << type << " mentioning " << needle;
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), type) << e.what();
        const std::string all = std::string(e.what()) + " " + e.details() + " " + e.path();
        EXPECT_NE(all.find(needle), std::string::npos) << all;
    }
}

}  // namespace weft::media_testing
