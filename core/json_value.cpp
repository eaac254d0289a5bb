// Value <-> nlohmann::json conversions (see json_value.h).
#include "core/json_value.h"

namespace weft::graph {

nlohmann::ordered_json value_to_ordered_json(const Value& v) {
    using J = nlohmann::ordered_json;
    switch (v.kind()) {
        case Value::Kind::Null: return nullptr;
        case Value::Kind::Bool: return v.as_bool();
        case Value::Kind::Int: return v.is_big_unsigned() ? J(v.as_uint64()) : J(v.as_int());
        case Value::Kind::Float: return v.as_float();
        case Value::Kind::String: return v.as_string();
        case Value::Kind::List: {
            J a = J::array();
            for (const Value& e : v.as_list()) a.push_back(value_to_ordered_json(e));
            return a;
        }
        case Value::Kind::Dict: {
            J o = J::object();
            // A Dict's keys are unique: append (operator[] scans the members before it).
            for (const auto& [k, e] : v.as_dict()) o.get_ref<J::object_t&>().emplace_back(k, value_to_ordered_json(e));
            return o;
        }
        case Value::Kind::Link: return J::array({v.as_link().node_id, v.as_link().slot});
        case Value::Kind::Blocker: return nullptr;
        default: return v.describe();
    }
}

template <class JSON>
static Value from_node(const JSON& j) {
    switch (j.type()) {
        case nlohmann::json::value_t::null: return Value();
        case nlohmann::json::value_t::boolean: return Value(j.template get<bool>());
        case nlohmann::json::value_t::number_integer: return Value(j.template get<int64_t>());
        case nlohmann::json::value_t::number_unsigned: return Value(j.template get<uint64_t>());
        case nlohmann::json::value_t::number_float: return Value(j.template get<double>());
        case nlohmann::json::value_t::string: return Value(j.template get<std::string>());
        case nlohmann::json::value_t::array: {
            List l;
            l.reserve(j.size());
            for (const auto& e : j) l.push_back(from_node(e));
            return Value(std::move(l));
        }
        case nlohmann::json::value_t::object: {
            Dict d;
            for (auto it = j.begin(); it != j.end(); ++it) d.emplace(it.key(), from_node(it.value()));
            return Value(std::move(d));
        }
        default: return Value();  // binary / discarded: not produced by the text parser
    }
}

Value value_from_json_node(const nlohmann::json& j) { return from_node(j); }
Value value_from_json_node(const nlohmann::ordered_json& j) { return from_node(j); }

}  // namespace weft::graph
