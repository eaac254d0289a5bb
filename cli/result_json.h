// cli/result_json.h — one workflow run as the JSON object `weft run --json` prints.
//
// {"workflow", "prompt_id", "status", "executed", "cached", "blocked",
//  "outputs": {node: ui, with "path" (absolute) added to each saved file},
//  "errors": {"validation": ComfyUI's {error, node_errors} or null,
//             "execution": ComfyUI's execution_error data or null, "nodes": [...]},
//  "node_seconds": {node: s}, "total_seconds": s}
#pragma once

#include <weft/folders.h>
#include <weft/session.h>

#include <nlohmann/json.hpp>

#include <string>

namespace weft::cli {

nlohmann::json run_result_json(const std::string& workflow_path, const RunResult& result, const Folders& folders);

/// The object for a workflow that could not be parsed: status "invalid" and the parse error in
/// ComfyUI's validation shape.
nlohmann::json parse_error_json(const std::string& workflow_path, const ValidationReport& report);

/// ComfyUI's validation shape for a workflow text that does not parse.
ValidationReport parse_error_report(const std::exception& e);

/// Adds "path" (absolute) to every {filename, subfolder, type} entry of a UI output.
nlohmann::json ui_with_paths(const Dict& ui, const Folders& folders);

}  // namespace weft::cli
