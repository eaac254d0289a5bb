// Primitive value nodes, string nodes and PreviewAny (ComfyUI's comfy_extras.nodes_primitive,
// nodes_string and nodes_preview_any).
#include "nodes/node_families.h"
#include "media/png_io.h"

#include <weft/node.h>

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace weft::nodes {

namespace {

constexpr int64_t kPrimitiveMax = std::numeric_limits<int64_t>::max();  // ComfyUI: +-(2^63 - 1)

NodeDefinition primitive(const char* name, const char* display, Input value, const char* out_type) {
    NodeDefinition def{NodeSchema(name).display(display).category("utils/primitive").module("comfy_extras.nodes_primitive")};
    def.schema.required(std::move(value)).output(out_type);
    def.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.input("value")); };
    return def;
}

Input no_default(Input in) {
    in.default_value.reset();
    return in;
}

// Python's repr() of a float: shortest round-trip digits, fixed notation for exponents -4..15
// (with ".0" when integral), scientific otherwise ("1e+20", "1.5e-07").
std::string python_float(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    const size_t e = sci.find('e');
    std::string mant = sci.substr(0, e);
    const int exp = std::stoi(sci.substr(e + 1));
    bool neg = mant.starts_with('-');
    if (neg) mant.erase(0, 1);
    std::string digits;
    for (char c : mant)
        if (c != '.') digits += c;
    std::string out = neg ? "-" : "";
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            out += "0." + std::string(size_t(-exp - 1), '0') + digits;
        } else if (size_t(exp) + 1 >= digits.size()) {
            out += digits + std::string(size_t(exp) + 1 - digits.size(), '0') + ".0";
        } else {
            out += digits.substr(0, size_t(exp) + 1) + "." + digits.substr(size_t(exp) + 1);
        }
        return out;
    }
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02}", exp < 0 ? '-' : '+', std::abs(exp));
    return out;
}

void json_string(std::string& out, const std::string& s) {
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20) out += fmt::format("\\u{:04x}", c);
                else out += ch;
        }
    }
    out += '"';
}

// Python's json.dumps() with its default separators; false when the value holds something JSON
// cannot express (a tensor, a model), as json.dumps would raise.
bool python_json(std::string& out, const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Null: out += "null"; return true;
        case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return true;
        case Value::Kind::Int: out += v.is_big_unsigned() ? std::to_string(v.as_uint64()) : std::to_string(v.as_int()); return true;
        case Value::Kind::Float: {
            const double d = v.as_float();
            out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : python_float(d);
            return true;
        }
        case Value::Kind::String: json_string(out, v.as_string()); return true;
        case Value::Kind::List: {
            out += '[';
            bool first = true;
            for (const Value& item : v.as_list()) {
                if (!first) out += ", ";
                first = false;
                if (!python_json(out, item)) return false;
            }
            out += ']';
            return true;
        }
        case Value::Kind::Dict: {
            out += '{';
            bool first = true;
            for (const auto& [k, item] : v.as_dict()) {
                if (!first) out += ", ";
                first = false;
                json_string(out, k);
                out += ": ";
                if (!python_json(out, item)) return false;
            }
            out += '}';
            return true;
        }
        default: return false;
    }
}

// What PreviewAny shows: strings as they are, numbers and booleans as Python's str(), JSON-able
// data as json.dumps, anything else as its description.
std::string preview_text(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Null: return "None";
        case Value::Kind::String: return v.as_string();
        case Value::Kind::Bool: return v.as_bool() ? "True" : "False";
        case Value::Kind::Int: return v.is_big_unsigned() ? std::to_string(v.as_uint64()) : std::to_string(v.as_int());
        case Value::Kind::Float: return python_float(v.as_float());
        default: {
            std::string out;
            if (python_json(out, v)) return media::json_ascii(out);
            return v.describe();
        }
    }
}

size_t utf8_length(std::string_view s, size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return std::min(n, s.size() - i);
}

// Python's str.replace: every non-overlapping occurrence, left to right; an empty `find` inserts
// `with` around every character.
std::string replace_all(const std::string& s, const std::string& find, const std::string& with) {
    std::string out;
    if (find.empty()) {
        out += with;
        for (size_t i = 0; i < s.size();) {
            const size_t n = utf8_length(s, i);
            out.append(s, i, n);
            out += with;
            i += n;
        }
        return out;
    }
    size_t pos = 0;
    for (size_t hit = s.find(find); hit != std::string::npos; hit = s.find(find, pos)) {
        out.append(s, pos, hit - pos);
        out += with;
        pos = hit + find.size();
    }
    out.append(s, pos);
    return out;
}

}  // namespace

void register_primitive_nodes(NodeRegistry& r) {
    r.add(primitive("PrimitiveInt", "Int",
                    no_default(Input::integer("value").min(-kPrimitiveMax).max(kPrimitiveMax).with_control_after_generate()),
                    "INT"));
    r.add(primitive("PrimitiveFloat", "Float",
                    no_default(Input::floating("value").min(-kPrimitiveMax).max(kPrimitiveMax).step(0.1)), "FLOAT"));
    r.add(primitive("PrimitiveString", "String", no_default(Input::string("value")), "STRING"));
    r.add(primitive("PrimitiveStringMultiline", "String (Multiline)", no_default(Input::string("value").is_multiline()),
                    "STRING"));
    r.add(primitive("PrimitiveBoolean", "Boolean", no_default(Input::boolean("value")), "BOOLEAN"));

    {
        NodeDefinition def{NodeSchema("StringConcatenate")
                               .display("Concatenate")
                               .category("utils/string")
                               .module("comfy_extras.nodes_string")
                               .required(no_default(Input::string("string_a").is_multiline()))
                               .required(no_default(Input::string("string_b").is_multiline()))
                               .required(Input::string("delimiter", ""))
                               .output("STRING")};
        def.execute = [](NodeContext& ctx) {
            ctx.set_output(0, ctx.get_string("string_a") + ctx.get_string("delimiter") + ctx.get_string("string_b"));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("StringReplace")
                               .display("Replace")
                               .category("utils/string")
                               .module("comfy_extras.nodes_string")
                               .required(no_default(Input::string("string").is_multiline()))
                               .required(no_default(Input::string("find").is_multiline()))
                               .required(no_default(Input::string("replace").is_multiline()))
                               .output("STRING")};
        def.execute = [](NodeContext& ctx) {
            ctx.set_output(0, replace_all(ctx.get_string("string"), ctx.get_string("find"), ctx.get_string("replace")));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("PreviewAny")
                               .display("Preview as Text")
                               .category("utils")
                               .module("comfy_extras.nodes_preview_any")
                               .required(Input::type_of("source", "*"))
                               .output_node()};
        def.execute = [](NodeContext& ctx) {
            std::string text = ctx.has("source") ? preview_text(ctx.input("source")) : "None";
            ctx.set_ui(Dict{{"text", List{Value(std::move(text))}}});
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
