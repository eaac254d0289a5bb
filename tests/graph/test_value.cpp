// Value, Error and the Python renderings used in validation messages.
#include <weft/error.h>
#include <weft/value.h>

#include "core/py_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace weft;

TEST(Value, KindsAndAccessors) {
    EXPECT_TRUE(Value().is_null());
    EXPECT_TRUE(Value(true).is_bool());
    EXPECT_TRUE(Value(3).is_int());
    EXPECT_TRUE(Value(int64_t{-3}).is_int());
    EXPECT_TRUE(Value(2.5).is_float());
    EXPECT_TRUE(Value("x").is_string());
    EXPECT_TRUE(Value(List{1, 2}).is_list());
    EXPECT_TRUE(Value(Dict{{"a", 1}}).is_dict());
    EXPECT_TRUE(Value(Link{"4", 1}).is_link());
    EXPECT_TRUE(Value(Blocker{}).is_blocker());
    EXPECT_EQ(Value(7).as_int(), 7);
    EXPECT_EQ(Value("abc").as_string(), "abc");
    EXPECT_EQ(Value(Link{"4", 1}).as_link().node_id, "4");
    EXPECT_EQ(Value(List{1, 2}).as_list().size(), 2u);
}

TEST(Value, AsFloatAcceptsIntegers) {
    EXPECT_DOUBLE_EQ(Value(3).as_float(), 3.0);
    EXPECT_DOUBLE_EQ(Value(uint64_t{1} << 63).as_float(), 9223372036854775808.0);
    EXPECT_THROW(Value("3").as_float(), Error);
}

TEST(Value, WrongKindThrowsInvalidInputType) {
    try {
        Value("text").as_int();
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "invalid_input_type");
        EXPECT_NE(std::string(e.what()).find("STRING"), std::string::npos);
    }
    EXPECT_THROW(Value(1).as_bool(), Error);
    EXPECT_THROW(Value(1).as_list(), Error);
    EXPECT_THROW(Value(1).as_tensor(), Error);
}

TEST(Value, Uint64StoresInt64WhenItFits) {
    Value small(uint64_t{42});
    EXPECT_FALSE(small.is_big_unsigned());
    EXPECT_EQ(small.as_int(), 42);
    Value big(uint64_t{18446744073709551615ull});
    EXPECT_TRUE(big.is_int());
    EXPECT_TRUE(big.is_big_unsigned());
    EXPECT_EQ(big.as_uint64(), 18446744073709551615ull);
    EXPECT_THROW(big.as_int(), Error);
    EXPECT_THROW(Value(-1).as_uint64(), Error);
    EXPECT_EQ(Value(5).as_uint64(), 5u);
}

TEST(Value, KindNames) {
    EXPECT_EQ(Value(1).kind_name(), "INT");
    EXPECT_EQ(Value(1.0).kind_name(), "FLOAT");
    EXPECT_EQ(Value("s").kind_name(), "STRING");
    EXPECT_EQ(Value(false).kind_name(), "BOOLEAN");
    EXPECT_EQ(Value(List{}).kind_name(), "LIST");
    EXPECT_EQ(Value(Dict{}).kind_name(), "DICT");
    EXPECT_EQ(Value(Tensor::zeros({1, 2})).kind_name(), "TENSOR");
    EXPECT_EQ(Value(Latent{}).kind_name(), "LATENT");
    EXPECT_EQ(Value(Conditioning{}).kind_name(), "CONDITIONING");
    EXPECT_EQ(Value(Link{"1", 0}).kind_name(), "LINK");
    EXPECT_EQ(Value(Blocker{}).kind_name(), "BLOCKER");
    struct Model { int x = 1; };
    EXPECT_EQ(Value::object(std::make_shared<const Model>(), "MODEL").kind_name(), "MODEL");
}

TEST(Value, StructuralEquality) {
    EXPECT_EQ(Value(1), Value(1.0));
    EXPECT_EQ(Value(1.0), Value(1));
    EXPECT_NE(Value(1), Value(1.5));
    EXPECT_NE(Value(1), Value(true));  // BOOLEAN never equals a number here
    EXPECT_NE(Value(1), Value("1"));
    EXPECT_EQ(Value(List{1, "a", List{2.0}}), Value(List{1.0, "a", List{2}}));
    EXPECT_NE(Value(List{1, 2}), Value(List{2, 1}));
    EXPECT_EQ(Value(Dict{{"a", 1}, {"b", List{}}}), Value(Dict{{"b", List{}}, {"a", 1}}));
    EXPECT_NE(Value(Dict{{"a", 1}}), Value(Dict{{"a", 2}}));
    EXPECT_EQ(Value(Link{"3", 1}), Value(Link{"3", 1}));
    EXPECT_NE(Value(Link{"3", 1}), Value(Link{"3", 0}));
    EXPECT_EQ(Value(), Value(nullptr));
    // Big unsigned integers compare exactly, also against doubles.
    EXPECT_EQ(Value(uint64_t{1} << 63), Value(9223372036854775808.0));
    EXPECT_NE(Value(uint64_t{(1ull << 63) + 1}), Value(9223372036854775808.0));
    EXPECT_NE(Value(int64_t{9007199254740993}), Value(9007199254740992.0));
    EXPECT_NE(Value(std::nan("")), Value(std::nan("")));
}

TEST(Value, TensorsAndObjectsCompareByIdentity) {
    Tensor a = Tensor::zeros({2, 2});
    Tensor b = Tensor::zeros({2, 2});
    EXPECT_EQ(Value(a), Value(a));
    EXPECT_NE(Value(a), Value(b));
    auto p = std::make_shared<const int>(3);
    EXPECT_EQ(Value::object(p, "X"), Value::object(p, "X"));
    EXPECT_NE(Value::object(p, "X"), Value::object(std::make_shared<const int>(3), "X"));
}

TEST(Value, ObjectRoundTripAndMismatch) {
    struct Model { int weights = 7; };
    Value v = Value::object(std::make_shared<const Model>(), "MODEL", 1234);
    EXPECT_EQ(v.as_object<Model>()->weights, 7);
    EXPECT_EQ(v.byte_size(), 1234u);
    EXPECT_THROW(v.as_object<int>(), Error);
}

TEST(Value, ByteSize) {
    EXPECT_EQ(Value(Tensor::zeros({2, 3})).byte_size(), 24u);
    EXPECT_EQ(Value(List{Value(Tensor::zeros({4})), Value(Tensor::zeros({2}))}).byte_size(), 24u);
    Latent l;
    l.samples = Tensor::zeros({1, 4, 2, 2});
    EXPECT_EQ(Value(l).byte_size(), 64u);
    EXPECT_EQ(Value(1).byte_size(), 0u);
}

TEST(Value, Describe) {
    EXPECT_EQ(Value(42).describe(), "42");
    EXPECT_EQ(Value(2.0).describe(), "2.0");
    EXPECT_EQ(Value("hi").describe(), "\"hi\"");
    EXPECT_EQ(Value(true).describe(), "True");
    EXPECT_EQ(Value(List{1, "a"}).describe(), "[1, \"a\"]");
    EXPECT_EQ(Value(Link{"5", 0}).describe(), "[\"5\", 0]");
    EXPECT_NE(Value(Tensor::zeros({1, 4, 4, 3})).describe().find("[1, 4, 4, 3]"), std::string::npos);
}

TEST(Error, WhatCarriesContext) {
    Error e(ErrorCode::InvalidInputType, "expected an IMAGE", "got INT");
    EXPECT_STREQ(e.what(), "invalid_input_type: expected an IMAGE (got INT)");
    e.at_node("7").at_input("image").at_path("a.png");
    EXPECT_STREQ(e.what(), "invalid_input_type: expected an IMAGE (got INT) [node 7, input image, file a.png]");
    EXPECT_EQ(e.node_id(), "7");
    EXPECT_EQ(e.input_name(), "image");
    EXPECT_EQ(e.path(), "a.png");
    e.with_extra("input_name", "image");
    EXPECT_EQ(e.extra_info().at("input_name"), Value("image"));
    EXPECT_EQ(e.info().type, "invalid_input_type");
    EXPECT_STREQ(Error(ErrorCode::InvalidInput, "m").what(), "invalid_input: m");
}

TEST(PyFormat, FloatRepr) {
    using weft::graph::python_float_repr;
    EXPECT_EQ(python_float_repr(1.0), "1.0");
    EXPECT_EQ(python_float_repr(0.1), "0.1");
    EXPECT_EQ(python_float_repr(-2.5), "-2.5");
    EXPECT_EQ(python_float_repr(1e16), "1e+16");
    EXPECT_EQ(python_float_repr(1.5e16), "1.5e+16");
    EXPECT_EQ(python_float_repr(123456789012345.0), "123456789012345.0");
    EXPECT_EQ(python_float_repr(0.0001), "0.0001");
    EXPECT_EQ(python_float_repr(0.00001), "1e-05");
    EXPECT_EQ(python_float_repr(-0.0), "-0.0");
    EXPECT_EQ(python_float_repr(1.0 / 3.0), "0.3333333333333333");
    EXPECT_EQ(python_float_repr(INFINITY), "inf");
    EXPECT_EQ(python_float_repr(NAN), "nan");
}

TEST(PyFormat, ReprAndStr) {
    using namespace weft::graph;
    EXPECT_EQ(python_repr(Value("a")), "'a'");
    EXPECT_EQ(python_repr(Value("it's")), "\"it's\"");
    EXPECT_EQ(python_repr(Value(List{"a", 1, 2.0, true, Value()})), "['a', 1, 2.0, True, None]");
    EXPECT_EQ(python_repr(Value(Dict{{"k", "v"}})), "{'k': 'v'}");
    EXPECT_EQ(python_str(Value("a")), "a");
    EXPECT_EQ(python_str(Value(false)), "False");
    EXPECT_EQ(python_type_name(Value(List{})), "list");
    EXPECT_EQ(python_type_name(Value()), "NoneType");
}
