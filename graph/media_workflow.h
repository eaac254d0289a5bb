// graph/media_workflow.h — workflows embedded in the animated and video files weft and ComfyUI
// write: animated WebP (EXIF ASCII tags "prompt:<json>", "workflow:<json>"), MP4/MOV (mdta
// metadata keys under moov/udta/meta) and WebM/Matroska (global SimpleTags, names upper-cased by
// FFmpeg's reader). APNG needs nothing here: it is a PNG ("comf" chunks, see png_workflow.h).
//
// The containers are walked by hand rather than through libavformat, so that the graph layer
// keeps no dependency on FFmpeg: only the metadata boxes/elements are read, media data is skipped.
#pragma once

#include <weft/registry.h>
#include <weft/workflow.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::graph {

/// True when `bytes` start like a RIFF WebP, an ISO media file (ftyp box) or an EBML file.
bool is_media_container(std::string_view bytes);

/// Every metadata entry (key, value) the container holds where ComfyUI puts the workflow, in
/// file order. Throws weft::Error("invalid_prompt") naming `origin` when the structure is broken.
std::vector<std::pair<std::string, std::string>> media_metadata(std::string_view bytes, std::string_view origin);

/// The workflow a media file carries: its "prompt" entry (API format) when present, else its
/// "workflow" entry (UI format, converted with `registry`). Keys compare case-insensitively.
Workflow parse_media_workflow(std::string_view bytes, std::string_view origin, const NodeRegistry* registry);

}  // namespace weft::graph
