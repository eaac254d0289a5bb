// Python-compatible constant coercion (see coerce.h).
#include "graph/coerce.h"

#include "core/py_format.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace weft::graph {

namespace {

std::string_view strip(std::string_view s) {
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

// Removes '_' separators, allowed by Python only between two digits. False when misplaced.
bool drop_underscores(std::string_view s, std::string& out) {
    out.clear();
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '_') {
            if (i == 0 || i + 1 == s.size() || !std::isdigit(static_cast<unsigned char>(s[i - 1])) ||
                !std::isdigit(static_cast<unsigned char>(s[i + 1])))
                return false;
            continue;
        }
        out += s[i];
    }
    return true;
}

// int(str) in base 10. Returns nullopt on a syntax error; sets `overflow` when it does not fit 64 bits.
std::optional<Value> parse_python_int(std::string_view text, bool& overflow) {
    overflow = false;
    std::string s;
    if (!drop_underscores(strip(text), s) || s.empty()) return std::nullopt;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == s.size()) return std::nullopt;
    unsigned __int128 acc = 0;
    for (; i < s.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
        acc = acc * 10 + static_cast<unsigned>(s[i] - '0');
        if (acc > (static_cast<unsigned __int128>(1) << 64)) overflow = true;
    }
    if (overflow) return Value();
    if (neg) {
        if (acc > (static_cast<unsigned __int128>(1) << 63)) { overflow = true; return Value(); }
        return Value(acc == (static_cast<unsigned __int128>(1) << 63) ? std::numeric_limits<int64_t>::min()
                                                                     : -static_cast<int64_t>(acc));
    }
    if (acc > std::numeric_limits<uint64_t>::max()) { overflow = true; return Value(); }
    return Value(static_cast<uint64_t>(acc));
}

// float(str): decimal / exponent forms, inf, infinity, nan (signed, any case). No hex.
std::optional<double> parse_python_float(std::string_view text) {
    std::string s;
    if (!drop_underscores(strip(text), s) || s.empty()) return std::nullopt;
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view body = lower;
    bool neg = false;
    if (body[0] == '+' || body[0] == '-') {
        neg = body[0] == '-';
        body.remove_prefix(1);
    }
    if (body == "inf" || body == "infinity") return neg ? -INFINITY : INFINITY;
    if (body == "nan") return neg ? -NAN : NAN;
    // digits [. digits] [e [sign] digits], with at least one mantissa digit.
    size_t i = 0, mant = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++mant;
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++mant;
    }
    if (mant == 0) return std::nullopt;
    if (i < body.size() && body[i] == 'e') {
        ++i;
        if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
        size_t exp_digits = 0;
        while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) ++i, ++exp_digits;
        if (exp_digits == 0) return std::nullopt;
    }
    if (i != body.size()) return std::nullopt;
    return std::strtod(lower.c_str(), nullptr);
}

Coerced fail(const Value& v, std::string msg) { return Coerced{v, std::move(msg)}; }

Coerced to_int(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Int: return {v, {}};
        case Value::Kind::Bool: return {Value(int64_t{v.as_bool() ? 1 : 0}), {}};
        case Value::Kind::Float: {
            double d = v.as_float();
            if (std::isnan(d)) return fail(v, "cannot convert float NaN to integer");
            if (std::isinf(d)) return fail(v, "cannot convert float infinity to integer");
            double t = std::trunc(d);
            if (t >= -9223372036854775808.0 && t < 9223372036854775808.0) return {Value(static_cast<int64_t>(t)), {}};
            if (t >= 0 && t < 18446744073709551616.0) return {Value(static_cast<uint64_t>(t)), {}};
            return fail(v, "value " + python_float_repr(d) + " is out of the 64-bit integer range");
        }
        case Value::Kind::String: {
            bool overflow = false;
            auto r = parse_python_int(v.as_string(), overflow);
            if (!r) return fail(v, "invalid literal for int() with base 10: " + python_repr(v));
            if (overflow) return fail(v, "value " + v.as_string() + " is out of the 64-bit integer range");
            return {*r, {}};
        }
        default:
            return fail(v, "int() argument must be a string, a bytes-like object or a real number, not '" + python_type_name(v) + "'");
    }
}

Coerced to_float(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Float: return {v, {}};
        case Value::Kind::Int: return {Value(v.as_float()), {}};
        case Value::Kind::Bool: return {Value(v.as_bool() ? 1.0 : 0.0), {}};
        case Value::Kind::String: {
            auto d = parse_python_float(v.as_string());
            if (!d) return fail(v, "could not convert string to float: " + python_repr(v));
            return {Value(*d), {}};
        }
        default: return fail(v, "float() argument must be a string or a real number, not '" + python_type_name(v) + "'");
    }
}

Coerced to_bool(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Bool: return {v, {}};
        case Value::Kind::Null: return {Value(false), {}};
        case Value::Kind::Int: return {Value(v.is_big_unsigned() || v.as_int() != 0), {}};
        case Value::Kind::Float: return {Value(v.as_float() != 0.0), {}};  // NaN is true, as in Python
        case Value::Kind::String: return {Value(!v.as_string().empty()), {}};
        case Value::Kind::List: return {Value(!v.as_list().empty()), {}};
        case Value::Kind::Dict: return {Value(!v.as_dict().empty()), {}};
        default: return fail(v, "the truth value of a " + v.kind_name() + " value is ambiguous");
    }
}

}  // namespace

Coerced coerce_constant(const Value& v, std::string_view type) {
    if (type == "INT") return to_int(v);
    if (type == "FLOAT") return to_float(v);
    if (type == "STRING") {
        if (v.is_string()) return {v, {}};
        switch (v.kind()) {
            case Value::Kind::Tensor:
            case Value::Kind::Latent:
            case Value::Kind::Conditioning:
            case Value::Kind::Object:
            case Value::Kind::Blocker: return fail(v, "a " + v.kind_name() + " value cannot be used as a STRING");
            default: return {Value(python_str(v)), {}};
        }
    }
    if (type == "BOOLEAN") return to_bool(v);
    return {v, {}};
}

std::optional<int> compare_numbers(const Value& a, const Value& b) {
    if (!a.is_number() || !b.is_number()) return std::nullopt;
    auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
    if (a.is_int() && b.is_int()) {
        // int64 vs uint64 (above INT64_MAX): compare by sign, then magnitude.
        if (a.is_big_unsigned() && b.is_big_unsigned()) return sign(a.as_uint64(), b.as_uint64());
        if (a.is_big_unsigned()) return 1;
        if (b.is_big_unsigned()) return -1;
        return sign(a.as_int(), b.as_int());
    }
    if (a.is_float() && b.is_float()) {
        double x = a.as_float(), y = b.as_float();
        if (std::isnan(x) || std::isnan(y)) return std::nullopt;
        return sign(x, y);
    }
    // One integer, one double: compare exactly (Python semantics), not through a rounded double.
    bool a_is_int = a.is_int();
    const Value& iv = a_is_int ? a : b;
    double d = (a_is_int ? b : a).as_float();
    if (std::isnan(d)) return std::nullopt;
    int r;
    if (std::isinf(d)) r = d > 0 ? -1 : 1;
    else {
        long double fd = d;
        long double fi = iv.is_big_unsigned() ? static_cast<long double>(iv.as_uint64()) : static_cast<long double>(iv.as_int());
        // long double (x87, 64-bit mantissa) holds every int64/uint64 and double exactly.
        r = sign(fi, fd);
    }
    return a_is_int ? r : -r;
}

}  // namespace weft::graph
