// core/json_value.h — Value <-> nlohmann::json, shared by the workflow writer/parsers and json.cpp.
#pragma once

#include <weft/value.h>

#include <nlohmann/json.hpp>

namespace weft::graph {

/// JSON-like values as JSON: integers keep their exact 64-bit value (signed or unsigned), links
/// become ["id", slot], tensors/latents/objects a short description string, blockers null.
nlohmann::ordered_json value_to_ordered_json(const Value& v);
/// JSON as a Value: objects -> Dict, arrays -> List (never Links), integers exact.
Value value_from_json_node(const nlohmann::json& j);
Value value_from_json_node(const nlohmann::ordered_json& j);

}  // namespace weft::graph
