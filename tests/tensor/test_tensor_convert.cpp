// Element conversions: exhaustive f16/bf16 round trips, rounding rules, SIMD == scalar, Tensor::to.
#include <weft/error.h>
#include <weft/tensor.h>

#include "core/convert.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

using namespace weft;

namespace {

bool same_bits_or_both_nan(float a, float b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}

// Independent reference: nearest representable value by searching the sorted finite halves.
uint16_t f16_reference(float x) {
    static std::vector<std::pair<double, uint16_t>> table = [] {
        std::vector<std::pair<double, uint16_t>> t;
        for (uint32_t h = 0; h < 0x7c00; ++h) {  // positive finite halves, increasing
            const int e = (h >> 10) & 31, m = h & 1023;
            const double v = e ? std::ldexp(1.0 + m / 1024.0, e - 15) : std::ldexp(m, -24);
            t.push_back({v, static_cast<uint16_t>(h)});
        }
        return t;
    }();
    const double a = std::fabs(static_cast<double>(x));
    const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    const double max_plus_half_ulp = 65504.0 + 16.0;
    if (a >= max_plus_half_ulp) return sign | 0x7c00;
    auto it = std::lower_bound(table.begin(), table.end(), std::make_pair(a, uint16_t{0}));
    if (it == table.end()) return sign | 0x7bff;
    if (it->first == a || it == table.begin()) return sign | it->second;
    auto lo = it - 1;
    const double dlo = a - lo->first, dhi = it->first - a;
    if (dlo < dhi) return sign | lo->second;
    if (dhi < dlo) return sign | it->second;
    return sign | ((lo->second & 1) ? it->second : lo->second);  // tie: even mantissa
}

}  // namespace

TEST(TensorConvert, F16ExhaustiveRoundTripThroughF32) {
    std::vector<uint16_t> all(65536);
    for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
    std::vector<float> wide(65536);
    convert_f16_to_f32(all, wide);
    std::vector<uint16_t> back(65536);
    convert_f32_to_f16(wide, back);
    for (uint32_t i = 0; i < 65536; ++i) {
        ASSERT_TRUE(same_bits_or_both_nan(wide[i], f16_to_f32(all[i]))) << std::hex << i;
        const bool nan = ((i >> 10) & 31) == 31 && (i & 1023);
        if (nan) {
            ASSERT_EQ(back[i] & 0x7e00, 0x7e00) << std::hex << i;  // stays a (quiet) NaN
            ASSERT_EQ(back[i] & 0x8000, i & 0x8000);
        } else {
            ASSERT_EQ(back[i], all[i]) << std::hex << i;
            ASSERT_EQ(f32_to_f16(wide[i]), all[i]) << std::hex << i;
        }
    }
    EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
    EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
    EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
}

TEST(TensorConvert, F16RoundingMatchesNearestEvenReference) {
    std::mt19937 rng(1234);
    std::vector<float> xs;
    // Random bit patterns over the half range, plus exact ties and boundaries.
    std::uniform_int_distribution<uint32_t> bits(0x2f000000u, 0x47ffffffu);
    for (int i = 0; i < 200000; ++i) {
        float f = std::bit_cast<float>(bits(rng));
        xs.push_back(i & 1 ? -f : f);
    }
    for (uint32_t h = 0; h < 0x7bff; h += 7) {
        const float a = f16_to_f32(static_cast<uint16_t>(h)), b = f16_to_f32(static_cast<uint16_t>(h + 1));
        xs.push_back(static_cast<float>((static_cast<double>(a) + b) / 2));  // exact midpoint
    }
    xs.insert(xs.end(), {65504.0f, 65519.99f, 65520.0f, 1e10f, 5.96e-8f, 2.98e-8f, 2.99e-8f, 0.0f, -0.0f,
                         std::numeric_limits<float>::infinity(), 6.1035156e-05f, 6.1e-05f});
    std::vector<uint16_t> simd(xs.size());
    convert_f32_to_f16(xs, simd);
    for (size_t i = 0; i < xs.size(); ++i) {
        const uint16_t ref = f16_reference(xs[i]);
        ASSERT_EQ(f32_to_f16(xs[i]), ref) << xs[i];
        ASSERT_EQ(simd[i], ref) << xs[i];
    }
}

TEST(TensorConvert, Bf16RoundsToNearestEven) {
    EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
    // 1 + 2^-8 is exactly between 1 and 1 + 2^-7: tie goes to the even mantissa (1.0).
    EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);
    // 1 + 3*2^-8 is between 1+2^-7 (odd) and 1+2^-6 (even): tie goes up.
    EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);
    EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);  // just above a tie
    EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f807fffu)), 0x3f80);  // just below
    EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f7fffffu)), 0x7f80);  // FLT_MAX rounds to inf
    EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x00018000u)), 0x0002);  // subnormal tie, to even
    EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x7f800001u)) & 0x7fc0, 0x7fc0);  // NaN stays NaN

    // Vector path equals the scalar one on random patterns, including NaNs and subnormals.
    std::mt19937 rng(99);
    std::vector<float> xs(100003);
    for (auto& x : xs) x = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    std::vector<uint16_t> out(xs.size());
    convert_f32_to_bf16(xs, out);
    for (size_t i = 0; i < xs.size(); ++i) {
        const uint32_t b = std::bit_cast<uint32_t>(xs[i]);
        uint16_t expect;
        if ((b & 0x7fffffffu) > 0x7f800000u) {
            expect = static_cast<uint16_t>((b >> 16) | 0x40);
        } else {
            // Reference by comparison: pick the nearer of truncation and truncation + 1 ulp.
            const uint32_t lo = b & 0xffff0000u, rest = b & 0xffffu;
            const bool up = rest > 0x8000u || (rest == 0x8000u && ((lo >> 16) & 1));
            expect = static_cast<uint16_t>((lo >> 16) + (up ? 1 : 0));
        }
        ASSERT_EQ(out[i], expect) << std::hex << b;
        ASSERT_EQ(f32_to_bf16(xs[i]), expect);
    }
    // bf16 -> f32 is exact for every pattern.
    std::vector<uint16_t> all(65536);
    for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
    std::vector<float> wide(65536);
    convert_bf16_to_f32(all, wide);
    for (uint32_t i = 0; i < 65536; ++i) ASSERT_EQ(std::bit_cast<uint32_t>(wide[i]), i << 16);
}

TEST(TensorConvert, Float8Formats) {
    // Every finite code decodes and re-encodes to itself.
    for (int v = 0; v < 256; ++v) {
        const float a = f8e4m3_to_f32(static_cast<uint8_t>(v));
        if (std::isnan(a)) {
            EXPECT_EQ(v & 0x7f, 0x7f);
        } else {
            EXPECT_EQ(f32_to_f8e4m3(a), v) << v;
        }
        const float b = f8e5m2_to_f32(static_cast<uint8_t>(v));
        if (!std::isnan(b)) EXPECT_EQ(f32_to_f8e5m2(b), v) << v;
    }
    // The table-driven bulk path matches the scalar decoder for every code.
    std::vector<uint8_t> codes(256);
    for (int v = 0; v < 256; ++v) codes[v] = static_cast<uint8_t>(v);
    for (DType d : {DType::F8_E4M3, DType::F8_E5M2}) {
        std::vector<float> out(256);
        convert_elements(reinterpret_cast<const std::byte*>(codes.data()), d, reinterpret_cast<std::byte*>(out.data()),
                         DType::F32, 256);
        for (int v = 0; v < 256; ++v) {
            const float ref = d == DType::F8_E4M3 ? f8e4m3_to_f32(codes[v]) : f8e5m2_to_f32(codes[v]);
            EXPECT_TRUE(same_bits_or_both_nan(out[v], ref)) << v;
        }
    }
    EXPECT_EQ(f8e4m3_to_f32(0x7e), 448.0f);
    EXPECT_EQ(f8e4m3_to_f32(0x01), std::ldexp(1.0f, -9));
    EXPECT_EQ(f8e5m2_to_f32(0x7b), 57344.0f);
    EXPECT_TRUE(std::isinf(f8e5m2_to_f32(0x7c)));
    EXPECT_EQ(f32_to_f8e4m3(1000.0f), 0x7f);  // e4m3fn has no infinity: NaN
    EXPECT_EQ(f32_to_f8e5m2(1e6f), 0x7c);
    EXPECT_EQ(f32_to_f8e4m3(1.0625f), 0x38);  // tie between 1.0 and 1.125: even (1.0)
    EXPECT_EQ(f32_to_f8e4m3(1.1875f), 0x3a);  // tie between 1.125 and 1.25: even (1.25)
    EXPECT_EQ(f32_to_f8e4m3(-0.0f), 0x80);
}

TEST(TensorConvert, TensorToAllDTypes) {
    // All exactly representable in every float format, f8 included.
    const std::vector<float> vals{0.0f, 1.0f, -2.5f, 3.5f, 96.0f, -0.125f};
    Tensor t = Tensor::from_vector({2, 3}, vals);
    for (DType d : {DType::F16, DType::BF16, DType::F64, DType::F8_E4M3, DType::F8_E5M2}) {
        Tensor c = t.to(d);
        EXPECT_EQ(c.dtype(), d);
        Tensor back = c.to(DType::F32);
        for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(back.data<float>()[i], vals[i]) << dtype_name(d);
    }
    EXPECT_EQ(Tensor::full({1}, 100.0f).to(DType::F8_E4M3).to(DType::F32).data<float>()[0], 96.0f);  // tie, even
    Tensor i32 = t.to(DType::I32);
    EXPECT_EQ(i32.data<int32_t>()[2], -2);  // truncation toward zero
    EXPECT_EQ(i32.data<int32_t>()[4], 96);
    Tensor u8 = Tensor::full({1}, 300.0f).to(DType::U8);
    EXPECT_EQ(u8.data<uint8_t>()[0], 300 % 256);
    Tensor b = t.to(DType::BOOL);
    EXPECT_EQ(b.data<uint8_t>()[0], 0);
    EXPECT_EQ(b.data<uint8_t>()[5], 1);
    Tensor i64 = Tensor::full({1}, 0.0f, DType::I64);
    i64.data<int64_t>()[0] = (int64_t{1} << 40) + 3;
    EXPECT_EQ(i64.to(DType::I32).data<int32_t>()[0], 3);
    EXPECT_EQ(i64.to(DType::F64).data<double>()[0], static_cast<double>((int64_t{1} << 40) + 3));
    Tensor nan = Tensor::full({1}, NAN).to(DType::I64);
    EXPECT_EQ(nan.data<int64_t>()[0], 0);

    // f16 <-> bf16 directly, and a permuted source.
    Tensor h = t.to(DType::F16).to(DType::BF16).to(DType::F32);
    for (size_t i = 0; i < vals.size(); ++i) EXPECT_EQ(h.data<float>()[i], vals[i]);
    Tensor p = t.permute({1, 0}).to(DType::F16).to(DType::F32);
    EXPECT_EQ(p.shape(), (Shape{3, 2}));
    EXPECT_EQ(p.data<float>()[1], 3.5f);  // p[0,1] = t[1,0]
    // Same dtype and contiguous: the same tensor.
    EXPECT_EQ(t.to(DType::F32).storage(), t.storage());
}

TEST(TensorConvert, SpanSizeMismatchThrows) {
    std::vector<uint16_t> a(4);
    std::vector<float> b(5);
    EXPECT_THROW(convert_f16_to_f32(a, b), Error);
}
