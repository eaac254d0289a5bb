// Python str()/repr() renderings (see py_format.h).
#include "core/py_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace weft::graph {

std::string python_float_repr(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
    // Shortest scientific form that reads back to the same double.
    char buf[40];
    int prec = 0;
    for (prec = 0; prec < 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*e", prec, d);
        if (std::strtod(buf, nullptr) == d) break;
    }
    std::string s = buf;
    bool neg = s[0] == '-';
    if (neg) s.erase(0, 1);
    size_t epos = s.find('e');
    int exp = std::atoi(s.c_str() + epos + 1);
    std::string digits;
    for (size_t i = 0; i < epos; ++i)
        if (s[i] != '.') digits += s[i];
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();

    std::string out;
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            out = "0.";
            out.append(static_cast<size_t>(-exp - 1), '0');
            out += digits;
        } else {
            size_t int_len = static_cast<size_t>(exp) + 1;
            if (digits.size() <= int_len) out = digits + std::string(int_len - digits.size(), '0') + ".0";
            else out = digits.substr(0, int_len) + "." + digits.substr(int_len);
        }
    } else {
        out = digits.substr(0, 1);
        if (digits.size() > 1) {
            out += '.';
            out += digits.substr(1);
        }
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
        out += eb;
    }
    return neg ? "-" + out : out;
}

namespace {

std::string repr_string(const std::string& s) {
    // Python prefers single quotes unless the text holds ' and no ".
    char q = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
    std::string out(1, q);
    for (unsigned char c : s) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c == static_cast<unsigned char>(q)) {
                    out += '\\';
                    out += static_cast<char>(c);
                } else if (c < 0x20 || c == 0x7f) {
                    char b[8];
                    std::snprintf(b, sizeof b, "\\x%02x", c);
                    out += b;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += q;
    return out;
}

}  // namespace

std::string python_repr(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Null: return "None";
        case Value::Kind::Bool: return v.as_bool() ? "True" : "False";
        case Value::Kind::Int: return v.is_big_unsigned() ? std::to_string(v.as_uint64()) : std::to_string(v.as_int());
        case Value::Kind::Float: return python_float_repr(v.as_float());
        case Value::Kind::String: return repr_string(v.as_string());
        case Value::Kind::List: {
            std::string s = "[";
            bool first = true;
            for (const Value& e : v.as_list()) {
                if (!first) s += ", ";
                first = false;
                s += python_repr(e);
            }
            return s + "]";
        }
        case Value::Kind::Dict: {
            std::string s = "{";
            bool first = true;
            for (const auto& [k, e] : v.as_dict()) {
                if (!first) s += ", ";
                first = false;
                s += repr_string(k) + ": " + python_repr(e);
            }
            return s + "}";
        }
        case Value::Kind::Link: {
            std::string s = "[";
            s += repr_string(v.as_link().node_id);
            s += ", ";
            s += std::to_string(v.as_link().slot);
            return s + "]";
        }
        default: return v.describe();
    }
}

std::string python_str(const Value& v) { return v.is_string() ? v.as_string() : python_repr(v); }

std::string python_type_name(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Null: return "NoneType";
        case Value::Kind::Bool: return "bool";
        case Value::Kind::Int: return "int";
        case Value::Kind::Float: return "float";
        case Value::Kind::String: return "str";
        case Value::Kind::List: return "list";
        case Value::Kind::Dict: return "dict";
        case Value::Kind::Link: return "list";
        default: return v.kind_name();
    }
}

}  // namespace weft::graph
