// include/weft/json.h — ComfyUI's JSON shapes for weft's results, shared by the CLI, the server and
// applications that speak ComfyUI's protocol.
//
// Thread safety: pure functions.
#pragma once

#include <weft/error.h>
#include <weft/events.h>
#include <weft/registry.h>
#include <weft/value.h>

#include <string>

namespace weft {

/// {"error": {...}, "node_errors": {...}} as POST /prompt answers a rejected prompt.
std::string validation_to_json(const ValidationReport& report, int indent = -1);
/// {"type": "executing", "data": {...}} as the WebSocket sends it.
std::string event_to_json(const Event& event, int indent = -1);
/// The data of an execution_error message.
std::string execution_error_to_json(const ExecutionError& error, int indent = -1);
/// A JSON-like Value as JSON (tensors and objects as short descriptions).
std::string value_to_json(const Value& value, int indent = -1);
/// Parses JSON text into a Value (objects -> Dict, arrays -> List).
Value value_from_json(std::string_view text);
/// GET /object_info for every registered node (or {class: info} for one when `only` is set).
std::string object_info_json(const NodeRegistry& registry, const Folders& folders, std::string_view only = {}, int indent = -1);

}  // namespace weft
