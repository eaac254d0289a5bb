// The API format in YAML (see parse_yaml.h). The YAML tree is checked here, where the line of
// each node is known, then rewritten as API-format JSON and handed to the JSON form's parser, so
// both forms share one set of rules.
#include "graph/parse_yaml.h"

#include "graph/parse_api.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace weft::graph {

namespace {

using json = nlohmann::json;

std::string where(const YAML::Mark& m) {
    if (m.line < 0) return {};
    return "line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1);
}

Error yaml_error(std::string_view origin, const YAML::Node& at, std::string message, const std::string& node_id = {}) {
    std::string details = where(at.Mark());
    if (!node_id.empty()) details = "Node ID '#" + node_id + "'" + (details.empty() ? "" : ", " + details);
    Error e(ErrorCode::InvalidPrompt, std::move(message) + " (" + std::string(origin) + (details.empty() ? "" : ", " + where(at.Mark())) + ")",
            details);
    if (!node_id.empty()) e.at_node(node_id);
    return e;
}

bool all_digits(std::string_view s, int base) {
    if (s.empty()) return false;
    for (char c : s) {
        bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                             : (c >= '0' && c < static_cast<char>('0' + base));
        if (!ok) return false;
    }
    return true;
}

bool is_float_text(std::string_view s) {
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t digits = 0, frac = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++digits; }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++frac; }
    }
    if (digits + frac == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        size_t exp = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) { ++i; ++exp; }
        if (exp == 0) return false;
    }
    return i == s.size();
}

// A plain scalar typed by YAML 1.2's core schema.
json plain_scalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    std::string_view v = s;
    bool neg = false;
    std::string_view body = v;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
        neg = body[0] == '-';
        body.remove_prefix(1);
    }
    int base = 10;
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o') && v.size() == body.size()) {
        base = body[1] == 'x' ? 16 : 8;
        body.remove_prefix(2);
    }
    if (all_digits(body, base)) {
        uint64_t u = 0;
        auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), u, base);
        if (ec == std::errc() && p == body.data() + body.size()) {
            if (!neg) return u <= uint64_t(std::numeric_limits<int64_t>::max()) ? json(int64_t(u)) : json(u);
            if (u <= uint64_t(std::numeric_limits<int64_t>::max()) + 1) return json(int64_t(0 - u));
        }
        if (base == 10) return std::strtod(s.c_str(), nullptr);  // too large for 64 bits
    }
    if (is_float_text(s)) return std::strtod(s.c_str(), nullptr);
    if (v == ".inf" || v == ".Inf" || v == ".INF" || v == "+.inf" || v == "+.Inf" || v == "+.INF")
        return std::numeric_limits<double>::infinity();
    if (v == "-.inf" || v == "-.Inf" || v == "-.INF") return -std::numeric_limits<double>::infinity();
    if (v == ".nan" || v == ".NaN" || v == ".NAN") return std::numeric_limits<double>::quiet_NaN();
    return s;
}

json scalar(const YAML::Node& n) {
    const std::string& tag = n.Tag();
    // "!" marks a quoted scalar; an explicit !!str tag also keeps the text.
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return n.Scalar();
    return plain_scalar(n.Scalar());
}

json to_json(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return nullptr;
        case YAML::NodeType::Scalar: return scalar(n);
        case YAML::NodeType::Sequence: {
            json a = json::array();
            for (const YAML::Node& e : n) a.push_back(to_json(e));
            return a;
        }
        case YAML::NodeType::Map: {
            json o = json::object();
            for (auto it = n.begin(); it != n.end(); ++it) o[it->first.Scalar()] = to_json(it->second);
            return o;
        }
    }
    return nullptr;
}

json input_value(const YAML::Node& v, const std::string& id, const std::string& name, std::string_view origin) {
    if (v.IsSequence()) {
        if (v.size() != 2 || !v[0].IsScalar() || !v[1].IsScalar())
            throw yaml_error(origin, v,
                             "Bad linked input '" + name + "', must be a 2-item sequence [node_id, slot_index] "
                             "(write a list constant as {__value__: [...]})",
                             id)
                .at_input(name);
        json slot = plain_scalar(v[1].Scalar());
        if (!slot.is_number_integer() && !slot.is_number_unsigned())
            throw yaml_error(origin, v[1], "The output slot of linked input '" + name + "' must be an integer", id).at_input(name);
        return json::array({v[0].Scalar(), slot});  // the node id as text, even when written as a number
    }
    return to_json(v);
}

}  // namespace

Workflow parse_api_yaml(std::string_view text, std::string_view origin) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        throw Error(ErrorCode::InvalidPrompt, "Invalid YAML in " + std::string(origin),
                    where(e.mark) + (e.mark.line >= 0 ? ": " : "") + e.msg);
    }
    if (root.IsNull() || !root.IsDefined()) throw Error(ErrorCode::InvalidPrompt, "Empty workflow", "in " + std::string(origin));
    if (!root.IsMap())
        throw yaml_error(origin, root,
                         "Unrecognised workflow format: expected API-format JSON, a UI-format JSON workflow, a PNG, or YAML "
                         "mapping node ids to {class_type, inputs}");

    json prompt = json::object();
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (!it->first.IsScalar()) throw yaml_error(origin, it->first, "A node id must be a scalar");
        const std::string id = it->first.Scalar();
        const YAML::Node& node = it->second;
        if (!node.IsMap()) throw yaml_error(origin, node, "Node must be a mapping with class_type and inputs", id);
        const YAML::Node ct = node["class_type"];
        if (!ct || !ct.IsScalar() || ct.Scalar().empty())
            throw yaml_error(origin, node, "Cannot execute because a node is missing the class_type property.", id);
        json out = json::object();
        out["class_type"] = ct.Scalar();
        if (const YAML::Node meta = node["_meta"]) out["_meta"] = to_json(meta);
        json inputs = json::object();
        if (const YAML::Node ins = node["inputs"]; ins && !ins.IsNull()) {
            if (!ins.IsMap()) throw yaml_error(origin, ins, "Node inputs must be a mapping", id);
            for (auto in = ins.begin(); in != ins.end(); ++in) {
                const std::string name = in->first.Scalar();
                inputs[name] = input_value(in->second, id, name, origin);
            }
        }
        out["inputs"] = std::move(inputs);
        prompt[id] = std::move(out);
    }
    return parse_api_json(prompt, origin);
}

}  // namespace weft::graph
