// graph/parse_api.h — ComfyUI's API ("prompt") format: {node_id: {class_type, inputs, _meta}}.
#pragma once

#include <weft/workflow.h>

#include <nlohmann/json.hpp>

#include <string_view>

namespace weft::graph {

/// Builds a Workflow from parsed API-format JSON. Also accepts the POST /prompt body
/// {"prompt": {...}, ...}. `origin` names the source in error messages.
///
/// Representation choices (ComfyUI quirks):
///  - every 2-element list input is a link; element 0 becomes the node id as text ([4, 0] ->
///    Link{"4", 0}, accepted leniently where ComfyUI's validation would fail the lookup); a slot that
///    is not an integral number becomes -1, which validation reports as a bad output slot;
///  - a bare list of any other length is rejected here with invalid_prompt ("Bad linked input"),
///    naming node and input (ComfyUI reports it as bad_linked_input during validation);
///  - {"__value__": x} is unwrapped to x (list constants); `_meta.title` is kept as the title.
/// Throws weft::Error(weft::ErrorCode::InvalidPrompt) for a non-object node, a missing/non-string class_type or
/// non-object inputs, with details "Node ID '#<id>'".
Workflow parse_api_json(const nlohmann::ordered_json& j, std::string_view origin);

}  // namespace weft::graph
