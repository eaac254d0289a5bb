// Python-compatible constant coercion and exact numeric comparison (graph/coerce.h).
#include "graph/coerce.h"

#include "graph_fixture.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace weft;
using graph::coerce_constant;
using graph::compare_numbers;

TEST(Coerce, IntFromStringsLikePython) {
    EXPECT_EQ(coerce_constant(Value("  +42\n"), "INT").value, Value(42));
    EXPECT_EQ(coerce_constant(Value("-0"), "INT").value, Value(0));
    EXPECT_EQ(coerce_constant(Value("1_000"), "INT").value, Value(1000));
    EXPECT_EQ(coerce_constant(Value("18446744073709551615"), "INT").value.as_uint64(), 18446744073709551615ull);
    EXPECT_EQ(coerce_constant(Value("-9223372036854775808"), "INT").value.as_int(), std::numeric_limits<int64_t>::min());
    for (const char* bad : {"", " ", "1_", "_1", "1__0", "0x10", "1e3", "--1", "+", "1 2"})
        EXPECT_TRUE(coerce_constant(Value(bad), "INT").error) << bad;
    EXPECT_TRUE(coerce_constant(Value("18446744073709551616"), "INT").error);
    EXPECT_TRUE(coerce_constant(Value("-9223372036854775809"), "INT").error);
    EXPECT_TRUE(coerce_constant(Value(INFINITY), "INT").error);
    EXPECT_EQ(coerce_constant(Value(1e19), "INT").value.as_uint64(), 10000000000000000000ull);
}

TEST(Coerce, FloatFromStringsLikePython) {
    EXPECT_EQ(coerce_constant(Value(" 1.5 "), "FLOAT").value, Value(1.5));
    EXPECT_EQ(coerce_constant(Value(".5"), "FLOAT").value, Value(0.5));
    EXPECT_EQ(coerce_constant(Value("5."), "FLOAT").value, Value(5.0));
    EXPECT_EQ(coerce_constant(Value("-1E2"), "FLOAT").value, Value(-100.0));
    EXPECT_EQ(coerce_constant(Value("1_0.5"), "FLOAT").value, Value(10.5));
    EXPECT_TRUE(std::isinf(coerce_constant(Value("-Infinity"), "FLOAT").value.as_float()));
    EXPECT_TRUE(std::isnan(coerce_constant(Value("nan"), "FLOAT").value.as_float()));
    for (const char* bad : {"", ".", "e5", "1e", "0x1p3", "1.2.3", "inf inity", "one"})
        EXPECT_TRUE(coerce_constant(Value(bad), "FLOAT").error) << bad;
}

TEST(Coerce, OtherTypesPassThrough) {
    Value img(Tensor::zeros({1, 2, 2, 3}));
    EXPECT_EQ(coerce_constant(img, "IMAGE").value, img);
    EXPECT_EQ(coerce_constant(Value("x"), "COMBO").value, Value("x"));
    EXPECT_TRUE(coerce_constant(img, "STRING").error);
    EXPECT_TRUE(coerce_constant(img, "BOOLEAN").error);
}

TEST(CompareNumbers, ExactAcrossKinds) {
    EXPECT_EQ(compare_numbers(Value(1), Value(1.0)), 0);
    EXPECT_EQ(compare_numbers(Value(1), Value(1.5)), -1);
    EXPECT_EQ(compare_numbers(Value(2.5), Value(2)), 1);
    // 2^53 + 1 is not representable as a double: the integer is bigger than 2^53 exactly.
    EXPECT_EQ(compare_numbers(Value(int64_t{9007199254740993}), Value(9007199254740992.0)), 1);
    EXPECT_EQ(compare_numbers(Value(uint64_t{18446744073709551615ull}), Value(18446744073709551616.0)), -1);
    EXPECT_EQ(compare_numbers(Value(uint64_t{18446744073709551615ull}), Value(int64_t{-1})), 1);
    EXPECT_EQ(compare_numbers(Value(int64_t{-1}), Value(uint64_t{18446744073709551615ull})), -1);
    EXPECT_EQ(compare_numbers(Value(5), Value(INFINITY)), -1);
    EXPECT_EQ(compare_numbers(Value(5), Value(-INFINITY)), 1);
    EXPECT_FALSE(compare_numbers(Value(5), Value(NAN)));
    EXPECT_FALSE(compare_numbers(Value("5"), Value(5)));
}
