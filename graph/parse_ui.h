// graph/parse_ui.h — the ComfyUI frontend's UI (litegraph) workflow format -> an API-format
// Workflow, as the frontend's graphToPrompt builds the prompt it queues.
#pragma once

#include <weft/registry.h>
#include <weft/workflow.h>

#include <nlohmann/json.hpp>

#include <string_view>

namespace weft::graph {

/// True when `j` looks like a UI-format workflow: an object with a "nodes" array and "links",
/// "version", "state" or "last_node_id" (an API prompt maps node ids to objects instead).
bool is_ui_workflow(const nlohmann::json& j);

/// Converts a UI-format workflow (schema 0.4 with tuple links or 1 with object links, with
/// subgraph definitions) to the API form, using the node schemas in `registry` to name the
/// widget values:
///  - widgets_values are matched to the schema's widget inputs (INT/FLOAT/STRING/BOOLEAN/COMBO,
///    not forceInput) in input order; the frontend-only control_after_generate value after a
///    seed/noise_seed INT (or any input declaring control_after_generate) is skipped; an
///    image_upload input's "upload" widget follows the required inputs. Missing trailing values
///    take the schema default (nodes that gained inputs after the file was saved); a list longer
///    than the schema's widgets is an error naming the node. Object-form widgets_values are
///    matched by name.
///  - links (tuples or objects) become ["id", slot]; muted nodes (mode 2) are dropped, bypassed
///    ones (mode 4) pass a link through their input of the matching type; legacy Reroute nodes
///    are followed (native reroutes need nothing: links stay direct); a PrimitiveNode's value is
///    written into the inputs it feeds; Note/MarkdownNote are ignored;
///  - subgraph instances are expanded: inner nodes get ids "instance:inner" (nested
///    "a:b:c"); subgraph inputs resolve to the instance's outer links or, when unconnected,
///    to its promoted widget values; subgraph outputs to the inner node that feeds them;
///  - finally every input linked to a node that is not in the result is removed;
///  - `_meta.title` is the node's title, else its type's display name.
/// Throws weft::Error(weft::ErrorCode::MissingNodeType) naming node id and type for an unknown type, and
/// weft::Error(weft::ErrorCode::InvalidPrompt) for malformed input; `origin` names the source.
Workflow convert_ui_workflow(const nlohmann::json& ui, const NodeRegistry& registry, std::string_view origin);

}  // namespace weft::graph
