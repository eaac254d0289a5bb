// graph/png_workflow.h — workflows embedded in PNG files (ComfyUI's SaveImage writes the API
// prompt as a "prompt" text chunk and the UI workflow as a "workflow" chunk). The chunks are read
// by media/png_text.h; this file turns their JSON into a Workflow.
#pragma once

#include <weft/registry.h>
#include <weft/workflow.h>

#include <string>
#include <string_view>

namespace weft::graph {

/// The workflow a PNG carries: its "prompt" chunk (API format) when present, else its
/// "workflow" chunk (UI format, converted with `registry`; an error asking for the registry when
/// it is null). A PNG with neither is an error naming `origin`.
Workflow parse_png_workflow(std::string_view bytes, std::string_view origin, const NodeRegistry* registry);

}  // namespace weft::graph
