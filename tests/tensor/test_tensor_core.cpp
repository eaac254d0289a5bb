// Tensor handle: construction, views (slice/permute/reshape), copies, dtype names.
#include <weft/error.h>
#include <weft/tensor.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

using namespace weft;

namespace {

Tensor iota(const Shape& shape) {
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    std::iota(v.begin(), v.end(), 0.0f);
    return Tensor::from_vector(shape, v);
}

// Element at a multi-index through the tensor's own strides (independent of contiguous()).
float at(const Tensor& t, std::vector<int64_t> idx) {
    int64_t off = 0;
    for (size_t i = 0; i < idx.size(); ++i) off += idx[i] * t.strides()[i];
    return t.data<float>()[off];
}

}  // namespace

TEST(TensorCore, ZerosFullFromVector) {
    Tensor z = Tensor::zeros({2, 3, 4});
    EXPECT_TRUE(z.defined());
    EXPECT_EQ(z.numel(), 24);
    EXPECT_EQ(z.nbytes(), 96u);
    EXPECT_EQ(z.strides(), (std::vector<int64_t>{12, 4, 1}));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(z.raw_data()) % 64, 0u);
    for (int i = 0; i < 24; ++i) EXPECT_EQ(z.data<float>()[i], 0.0f);

    Tensor f = Tensor::full({5}, 2.5f, DType::F16);
    EXPECT_EQ(f.dtype(), DType::F16);
    EXPECT_EQ(f.data<uint16_t>()[4], 0x4100);  // 2.5 in binary16
    Tensor fi = Tensor::full({3}, -7.9f, DType::I32);
    EXPECT_EQ(fi.data<int32_t>()[2], -7);

    Tensor v = Tensor::from_vector({2, 2}, std::vector<float>{1, 2, 3, 4});
    EXPECT_EQ(v.data<float>()[3], 4.0f);
    EXPECT_THROW(Tensor::from_vector({2, 2}, std::vector<float>{1, 2, 3}), Error);
    EXPECT_FALSE(Tensor().defined());
    EXPECT_EQ(Tensor().describe(), "undefined tensor");
}

TEST(TensorCore, SizeAndDescribe) {
    Tensor t = Tensor::zeros({1, 64, 64, 3});
    EXPECT_EQ(t.size(-1), 3);
    EXPECT_EQ(t.size(1), 64);
    EXPECT_THROW(t.size(4), Error);
    EXPECT_THROW(t.size(-5), Error);
    EXPECT_EQ(t.describe(), "F32 [1, 64, 64, 3]");
    EXPECT_EQ(shape_string({}), "[]");
    EXPECT_EQ(shape_numel({}), 1);
    EXPECT_EQ(shape_numel({3, 0, 2}), 0);
    EXPECT_EQ(contiguous_strides({2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
}

TEST(TensorCore, ViewOutsideStorageRefused) {
    auto s = Storage::allocate(16);
    EXPECT_NO_THROW(Tensor(s, DType::F32, {4}, {1}));
    EXPECT_THROW(Tensor(s, DType::F32, {5}, {1}), Error);
    EXPECT_THROW(Tensor(s, DType::F32, {2}, {1}, 12), Error);
    EXPECT_THROW(Tensor(s, DType::F32, {2, 2}, {1}), Error);
    EXPECT_THROW(Tensor(s, DType::F32, {INT64_MAX / 2, 4}, {4, 1}), Error);
    EXPECT_NO_THROW(Tensor(s, DType::F32, {0, 100}, {100, 1}, 16));
}

TEST(TensorCore, StorageReleaseRunsOnce) {
    int released = 0;
    static float buf[4];
    {
        auto s = std::make_shared<Storage>(buf, sizeof buf, [&] { ++released; });
        Tensor a(s, DType::F32, {4}, {1});
        Tensor b = a.slice(0, 1, 3);
        s.reset();
        a = Tensor();
        EXPECT_EQ(released, 0);  // b still holds the storage
    }
    EXPECT_EQ(released, 1);
}

TEST(TensorCore, SliceIsAViewWithPythonRules) {
    Tensor t = iota({4, 5});
    Tensor s = t.slice(1, 1, 4);
    EXPECT_EQ(s.shape(), (Shape{4, 3}));
    EXPECT_EQ(s.storage(), t.storage());
    EXPECT_FALSE(s.is_contiguous());
    EXPECT_EQ(at(s, {2, 0}), 11.0f);
    s.data<float>()[0] = 100.0f;  // writes through to the parent
    EXPECT_EQ(t.data<float>()[1], 100.0f);

    EXPECT_EQ(t.slice(0, -1, 4).shape(), (Shape{1, 5}));
    EXPECT_EQ(at(t.slice(0, -1, 4), {0, 0}), 15.0f);
    EXPECT_EQ(t.slice(0, 2, 100).shape(), (Shape{2, 5}));
    EXPECT_EQ(t.slice(0, 3, 1).numel(), 0);
    EXPECT_TRUE(t.slice(0, 1, 3).is_contiguous());  // leading-dim slices stay contiguous
    EXPECT_THROW(t.slice(2, 0, 1), Error);
}

TEST(TensorCore, PermuteAndContiguous) {
    Tensor t = iota({2, 3, 4});
    Tensor p = t.permute({2, 0, 1});
    EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
    EXPECT_EQ(p.strides(), (std::vector<int64_t>{1, 12, 4}));
    EXPECT_FALSE(p.is_contiguous());
    Tensor c = p.contiguous();
    EXPECT_TRUE(c.is_contiguous());
    EXPECT_NE(c.storage(), t.storage());
    for (int64_t a = 0; a < 4; ++a)
        for (int64_t b = 0; b < 2; ++b)
            for (int64_t d = 0; d < 3; ++d)
                EXPECT_EQ(c.data<float>()[(a * 2 + b) * 3 + d], at(t, {b, d, a}));
    EXPECT_EQ(t.contiguous().storage(), t.storage());  // already contiguous: no copy
    EXPECT_THROW(t.permute({0, 0, 1}), Error);
    EXPECT_THROW(t.permute({0, 1}), Error);
}

TEST(TensorCore, ContiguousOfLargeStridedViewMatchesElementwise) {
    // Big enough to take the parallel path, with a non-unit innermost stride.
    Tensor t = iota({3, 300, 1200});
    Tensor p = t.permute({2, 1, 0}).slice(0, 7, 1107);
    Tensor c = p.contiguous();
    ASSERT_EQ(c.shape(), (Shape{1100, 300, 3}));
    for (int64_t i = 0; i < 1100; i += 37)
        for (int64_t j = 0; j < 300; j += 13)
            for (int64_t k = 0; k < 3; ++k)
                ASSERT_EQ(c.data<float>()[(i * 300 + j) * 3 + k], at(t, {k, j, i + 7}));
}

TEST(TensorCore, Reshape) {
    Tensor t = iota({2, 3, 4});
    Tensor r = t.reshape({6, -1});
    EXPECT_EQ(r.shape(), (Shape{6, 4}));
    EXPECT_EQ(r.storage(), t.storage());
    EXPECT_THROW(t.reshape({5, -1}), Error);
    EXPECT_THROW(t.reshape({-1, -1}), Error);
    EXPECT_THROW(t.reshape({7, 4}), Error);
    Tensor p = t.permute({1, 0, 2});  // not contiguous: reshape copies
    Tensor rp = p.reshape({-1});
    EXPECT_NE(rp.storage(), t.storage());
    EXPECT_EQ(rp.data<float>()[4], 12.0f);  // p[0,1,0] = t[1,0,0]
    // A sliced view keeps its offset through reshape.
    Tensor s = t.slice(0, 1, 2).reshape({12});
    EXPECT_EQ(s.data<float>()[0], 12.0f);
}

TEST(TensorCore, CloneOwnsNewStorage) {
    Tensor t = iota({3, 3});
    Tensor c = t.clone();
    EXPECT_NE(c.storage(), t.storage());
    c.data<float>()[0] = 42.0f;
    EXPECT_EQ(t.data<float>()[0], 0.0f);
    Tensor cs = t.slice(1, 1, 2).clone();
    EXPECT_EQ(cs.shape(), (Shape{3, 1}));
    EXPECT_EQ(cs.data<float>()[2], 7.0f);
}

TEST(TensorCore, DTypeNames) {
    const DType all[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I64, DType::I32,
                         DType::I16, DType::I8, DType::U8, DType::BOOL, DType::F8_E4M3, DType::F8_E5M2};
    const size_t sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 1, 1};
    for (size_t i = 0; i < std::size(all); ++i) {
        EXPECT_EQ(dtype_from_name(dtype_name(all[i])), all[i]);
        EXPECT_EQ(dtype_size(all[i]), sizes[i]);
    }
    EXPECT_STREQ(dtype_name(DType::F8_E4M3), "F8_E4M3");
    EXPECT_THROW(dtype_from_name("F128"), Error);
}
