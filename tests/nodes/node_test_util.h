// tests/nodes/node_test_util.h — small helpers shared by the node tests of this folder.
#pragma once

#include <weft/tensor.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::testing {

inline std::filesystem::path shared_folder() { return std::filesystem::path(WEFT_SHARED_DIR); }

/// Max |a - b| over all elements; shapes must match (a failure is recorded otherwise).
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(shape_string(a.shape()), shape_string(b.shape()));
    if (a.shape() != b.shape()) return INFINITY;
    const Tensor x = a.to(DType::F32), y = b.to(DType::F32);
    double m = 0;
    for (int64_t i = 0; i < x.numel(); ++i) m = std::max(m, std::fabs(double(x.data<float>()[i]) - double(y.data<float>()[i])));
    return m;
}

/// An F32 tensor of `shape` with element i = f(i).
template <class F>
Tensor make_tensor(const Shape& shape, F f) {
    std::vector<float> v(size_t(shape_numel(shape)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(f(int64_t(i)));
    return Tensor::from_vector(shape, v);
}

/// Element at a flat index of an F32 contiguous tensor.
inline float at(const Tensor& t, int64_t i) { return t.contiguous().data<float>()[i]; }

/// A fresh empty folder under the system temp dir, removed by the destructor.
struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& tag) {
        path = std::filesystem::temp_directory_path() /
               ("weft_" + tag + "_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace weft::testing
