// graph/media_workflow.h — workflows embedded in the animated and video files weft and ComfyUI
// write: animated WebP, MP4/MOV and WebM/Matroska. media/embedded_metadata.h reads the metadata
// entries; this file turns their JSON into a Workflow. APNG needs nothing here: it is a PNG
// ("comf" chunks, see png_workflow.h).
#pragma once

#include "media/embedded_metadata.h"

#include <weft/registry.h>
#include <weft/workflow.h>

#include <string>
#include <string_view>

namespace weft::graph {

/// Whether the bytes are a container parse_media_workflow reads (workflow_parse.cpp dispatches on it).
using media::is_media_container;

/// The workflow a media file carries: its "prompt" entry (API format) when present, else its
/// "workflow" entry (UI format, converted with `registry`). Keys compare case-insensitively.
Workflow parse_media_workflow(std::string_view bytes, std::string_view origin, const NodeRegistry* registry);

}  // namespace weft::graph
