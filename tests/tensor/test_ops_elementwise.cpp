#include "ops_test_util.h"

#include "tensor/ops/elementwise.h"
#include "tensor/ops/reference.h"

#include <weft/error.h>

using namespace weft;
using weft::ops_test::random;
using weft::ops_test::kTolF32;

namespace {

struct BinCase {
    Shape a, b;
};

class OpsBinary : public ::testing::TestWithParam<BinCase> {};

TEST_P(OpsBinary, MatchesReference) {
    const auto& c = GetParam();
    Tensor a = random(c.a, 1), b = random(c.b, 2, 0.5f, 2.0f);  // b away from 0 for div
    EXPECT_CLOSE(ops::add(a, b), ops::ref::add(a, b), kTolF32);
    EXPECT_CLOSE(ops::sub(a, b), ops::ref::sub(a, b), kTolF32);
    EXPECT_CLOSE(ops::mul(a, b), ops::ref::mul(a, b), kTolF32);
    EXPECT_CLOSE(ops::div(a, b), ops::ref::div(a, b), kTolF32);
    EXPECT_CLOSE(ops::sub(b, a), ops::ref::sub(b, a), kTolF32);
}

INSTANTIATE_TEST_SUITE_P(Shapes, OpsBinary,
                         ::testing::Values(BinCase{{2, 3, 5, 7}, {2, 3, 5, 7}},       // same shape
                                           BinCase{{2, 6, 9, 11}, {1, 6, 1, 1}},      // per-channel bias
                                           BinCase{{2, 6, 9, 11}, {11}},              // row vector
                                           BinCase{{3, 1, 5}, {1, 4, 1}},             // both broadcast
                                           BinCase{{4, 1}, {3, 1, 5}},                // rank differs
                                           BinCase{{2, 6, 9, 11}, {1}},               // one element
                                           BinCase{{70000}, {70000}},                 // one long row
                                           BinCase{{1, 77, 768}, {77, 768}}));        // position add

TEST(OpsBinary, StridedViewsAreRead) {
    Tensor base = random({4, 6, 5}, 3);
    Tensor a = base.permute({2, 0, 1});          // [5, 4, 6], not contiguous
    Tensor b = random({6, 4}, 4).permute({1, 0});  // [4, 6], transposed
    ASSERT_FALSE(a.is_contiguous());
    EXPECT_CLOSE(ops::mul(a, b), ops::ref::mul(a, b), kTolF32);
    Tensor s = base.slice(1, 1, 4);              // a slice in the middle dim
    EXPECT_CLOSE(ops::add(s, s), ops::ref::add(s, s), kTolF32);
}

TEST(OpsBinary, ScalarVariants) {
    Tensor a = random({3, 17, 5}, 5);
    Tensor s = Tensor::full({1}, 1.75f);
    EXPECT_CLOSE(ops::add(a, 1.75f), ops::ref::add(a, s), kTolF32);
    EXPECT_CLOSE(ops::sub(a, 1.75f), ops::ref::sub(a, s), kTolF32);
    EXPECT_CLOSE(ops::mul(a, 1.75f), ops::ref::mul(a, s), kTolF32);
    EXPECT_CLOSE(ops::div(a, 1.75f), ops::ref::div(a, s), kTolF32);
}

TEST(OpsBinary, BroadcastShapes) {
    EXPECT_EQ(ops::broadcast_shapes({3, 1, 5}, {4, 1}), (Shape{3, 4, 5}));
    EXPECT_EQ(ops::broadcast_shapes({}, {2, 2}), (Shape{2, 2}));
    EXPECT_THROW(ops::broadcast_shapes({3, 2}, {4, 2}), Error);
}

TEST(OpsBinary, ErrorsNameOpAndShapes) {
    try {
        ops::add(random({2, 3}, 1), random({4, 3}, 2));
        FAIL() << "expected weft::Error";
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "tensor_error");
        const std::string m = e.what();
        EXPECT_NE(m.find("add"), std::string::npos) << m;
        EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
        EXPECT_NE(m.find("[4, 3]"), std::string::npos) << m;
    }
    EXPECT_THROW(ops::mul(Tensor::zeros({2}, DType::F16), random({2}, 1)), Error);
    EXPECT_THROW(ops::mul(Tensor(), random({2}, 1)), Error);
}

}  // namespace
