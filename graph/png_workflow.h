// graph/png_workflow.h — workflows embedded in PNG files (ComfyUI's SaveImage writes the API
// prompt as a "prompt" text chunk and the UI workflow as a "workflow" chunk).
#pragma once

#include <weft/registry.h>
#include <weft/workflow.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::graph {

/// Every text chunk of a PNG (tEXt, zTXt and iTXt, compressed or not) as (keyword, UTF-8 text),
/// in file order. Throws weft::Error("invalid_prompt") naming `origin` when the bytes are not a
/// PNG or a chunk is truncated or cannot be decompressed.
std::vector<std::pair<std::string, std::string>> png_text_chunks(std::string_view bytes, std::string_view origin);

/// The workflow a PNG carries: its "prompt" chunk (API format) when present, else its
/// "workflow" chunk (UI format, converted with `registry`; an error asking for the registry when
/// it is null). A PNG with neither is an error naming `origin`.
Workflow parse_png_workflow(std::string_view bytes, std::string_view origin, const NodeRegistry* registry);

}  // namespace weft::graph
