// core/convert_elements.cpp — dtype -> dtype conversion of a contiguous element buffer.
//
// The common model-weight pairs (f16/bf16 <-> f32) go through the vectorised span functions; every
// other pair is a typed loop chosen by a two-level dispatch, so there is no per-element switch.
#include "core/convert.h"

#include <weft/error.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace weft {

namespace {

// Storage wrappers that give each 1/2-byte float format its own C++ type.
struct Half { uint16_t v; };
struct BHalf { uint16_t v; };
struct E4M3 { uint8_t v; };
struct E5M2 { uint8_t v; };
struct Bool8 { uint8_t v; };

template <class T> constexpr bool is_float_kind =
    std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BHalf> ||
    std::is_same_v<T, E4M3> || std::is_same_v<T, E5M2>;

template <class T> double to_double(T x) {
    if constexpr (std::is_same_v<T, Half>) return f16_to_f32(x.v);
    else if constexpr (std::is_same_v<T, BHalf>) return bf16_to_f32(x.v);
    else if constexpr (std::is_same_v<T, E4M3>) return f8e4m3_to_f32(x.v);
    else if constexpr (std::is_same_v<T, E5M2>) return f8e5m2_to_f32(x.v);
    else if constexpr (std::is_same_v<T, Bool8>) return x.v ? 1.0 : 0.0;
    else return static_cast<double>(x);
}

template <class T> int64_t to_int64(T x) {
    if constexpr (std::is_same_v<T, Bool8>) return x.v ? 1 : 0;
    else return static_cast<int64_t>(x);
}

int64_t saturate_to_int64(double d) {
    if (std::isnan(d)) return 0;
    if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
    if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(d);  // truncates toward zero
}

template <class S, class D> D convert_one(S s) {
    if constexpr (std::is_same_v<D, Bool8>) {
        if constexpr (is_float_kind<S>) return Bool8{static_cast<uint8_t>(to_double(s) != 0.0)};
        else return Bool8{static_cast<uint8_t>(to_int64(s) != 0)};
    } else if constexpr (is_float_kind<D>) {
        const double d = to_double(s);
        if constexpr (std::is_same_v<D, Half>) return Half{f32_to_f16(static_cast<float>(d))};
        else if constexpr (std::is_same_v<D, BHalf>) return BHalf{f32_to_bf16(static_cast<float>(d))};
        else if constexpr (std::is_same_v<D, E4M3>) return E4M3{f32_to_f8e4m3(static_cast<float>(d))};
        else if constexpr (std::is_same_v<D, E5M2>) return E5M2{f32_to_f8e5m2(static_cast<float>(d))};
        else return static_cast<D>(d);
    } else {
        // Integer target: wrap like a C++ integral conversion.
        if constexpr (is_float_kind<S>) return static_cast<D>(saturate_to_int64(to_double(s)));
        else return static_cast<D>(to_int64(s));
    }
}

template <class F>
void visit_dtype(DType t, F&& f) {
    switch (t) {
        case DType::F32: return f(float{});
        case DType::F16: return f(Half{});
        case DType::BF16: return f(BHalf{});
        case DType::F64: return f(double{});
        case DType::I64: return f(int64_t{});
        case DType::I32: return f(int32_t{});
        case DType::I16: return f(int16_t{});
        case DType::I8: return f(int8_t{});
        case DType::U8: return f(uint8_t{});
        case DType::BOOL: return f(Bool8{});
        case DType::F8_E4M3: return f(E4M3{});
        case DType::F8_E5M2: return f(E5M2{});
    }
    throw Error(ErrorCode::TensorError, "invalid dtype value " + std::to_string(static_cast<int>(t)));
}

// Float16 <-> bfloat16 goes through f32 in cache-sized chunks.
void half_pair(const std::byte* src, DType from, std::byte* dst, size_t n) {
    constexpr size_t chunk = 4096;
    float tmp[chunk];
    const auto* in = reinterpret_cast<const uint16_t*>(src);
    auto* out = reinterpret_cast<uint16_t*>(dst);
    for (size_t i = 0; i < n; i += chunk) {
        const size_t m = std::min(chunk, n - i);
        if (from == DType::F16) {
            convert_f16_to_f32({in + i, m}, {tmp, m});
            convert_f32_to_bf16({tmp, m}, {out + i, m});
        } else {
            convert_bf16_to_f32({in + i, m}, {tmp, m});
            convert_f32_to_f16({tmp, m}, {out + i, m});
        }
    }
}

// Every 8-bit float decodes through a 256-entry table (the scalar decoder is far slower).
const std::array<float, 256>& f8_table(DType t) {
    static const std::array<float, 256> e4m3 = [] {
        std::array<float, 256> a{};
        for (int i = 0; i < 256; ++i) a[i] = f8e4m3_to_f32(static_cast<uint8_t>(i));
        return a;
    }();
    static const std::array<float, 256> e5m2 = [] {
        std::array<float, 256> a{};
        for (int i = 0; i < 256; ++i) a[i] = f8e5m2_to_f32(static_cast<uint8_t>(i));
        return a;
    }();
    return t == DType::F8_E4M3 ? e4m3 : e5m2;
}

void f8_to_f32(const std::byte* src, DType from, float* dst, size_t n) {
    const auto& table = f8_table(from);
    const auto* in = reinterpret_cast<const uint8_t*>(src);
    auto body = [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) dst[i] = table[in[i]];
    };
    if (n < (size_t{1} << 16)) return body(0, n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, size_t{1} << 16),
                      [&](const tbb::blocked_range<size_t>& r) { body(r.begin(), r.end()); });
}

}  // namespace

void convert_elements(const std::byte* src, DType from, std::byte* dst, DType to, size_t n) {
    if (n == 0) return;
    if (from == to) {
        std::memcpy(dst, src, n * dtype_size(from));
        return;
    }
    const auto* u16 = reinterpret_cast<const uint16_t*>(src);
    const auto* f32 = reinterpret_cast<const float*>(src);
    if (from == DType::F16 && to == DType::F32)
        return convert_f16_to_f32({u16, n}, {reinterpret_cast<float*>(dst), n});
    if (from == DType::BF16 && to == DType::F32)
        return convert_bf16_to_f32({u16, n}, {reinterpret_cast<float*>(dst), n});
    if (from == DType::F32 && to == DType::F16)
        return convert_f32_to_f16({f32, n}, {reinterpret_cast<uint16_t*>(dst), n});
    if (from == DType::F32 && to == DType::BF16)
        return convert_f32_to_bf16({f32, n}, {reinterpret_cast<uint16_t*>(dst), n});
    if ((from == DType::F8_E4M3 || from == DType::F8_E5M2) && to == DType::F32)
        return f8_to_f32(src, from, reinterpret_cast<float*>(dst), n);
    if ((from == DType::F16 && to == DType::BF16) || (from == DType::BF16 && to == DType::F16))
        return half_pair(src, from, dst, n);

    visit_dtype(from, [&](auto s_tag) {
        using S = decltype(s_tag);
        visit_dtype(to, [&](auto d_tag) {
            using D = decltype(d_tag);
            static_assert(sizeof(S) <= 8 && sizeof(D) <= 8);
            for (size_t i = 0; i < n; ++i) {
                S s;
                std::memcpy(&s, src + i * sizeof(S), sizeof(S));
                const D d = convert_one<S, D>(s);
                std::memcpy(dst + i * sizeof(D), &d, sizeof(D));
            }
        });
    });
}

}  // namespace weft
