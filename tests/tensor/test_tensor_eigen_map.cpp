// Eigen views of tensors alias the tensor's storage and refuse the wrong dtype or layout.
#include <weft/error.h>
#include <weft/tensor.h>

#include "tensor/eigen_map.h"

#include <gtest/gtest.h>

using namespace weft;

TEST(TensorEigenMap, ArrayAndMatrixViewsAlias) {
    Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
    Tensor b = Tensor::full({2, 3}, 10.0f);
    Tensor out = Tensor::zeros({2, 3});
    eigen_array(out) = eigen_array(a) * 2.0f + eigen_array(b);
    EXPECT_EQ(out.data<float>()[5], 22.0f);

    auto m = eigen_matrix(a);
    EXPECT_EQ(m.rows(), 2);
    EXPECT_EQ(m.cols(), 3);
    EXPECT_EQ(m(1, 0), 4.0f);
    Tensor c = Tensor::zeros({2, 2});
    eigen_matrix(c) = eigen_matrix(a) * eigen_matrix(a).transpose();
    EXPECT_EQ(c.data<float>()[1], 1 * 4 + 2 * 5 + 3 * 6);
    EXPECT_EQ(eigen_matrix(a, 3).cols(), 2);
    EXPECT_THROW(eigen_matrix(a, 4), Error);
}

TEST(TensorEigenMap, StridedAndRefusals) {
    Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
    Tensor t = a.permute({1, 0});
    auto s = eigen_strided_matrix(t);
    EXPECT_EQ(s.rows(), 3);
    EXPECT_EQ(s(2, 1), 6.0f);
    EXPECT_THROW(eigen_array(t), Error);  // not contiguous
    EXPECT_THROW(eigen_array(a.to(DType::F16)), Error);
    EXPECT_THROW(eigen_strided_matrix(Tensor::zeros({2, 2, 2})), Error);
}
