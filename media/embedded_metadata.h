// media/embedded_metadata.h — the metadata where ComfyUI and weft put the workflow in animated and
// video files: animated WebP (EXIF ASCII tags "prompt:<json>", "workflow:<json>"), MP4/MOV (mdta
// metadata keys under moov/udta/meta) and WebM/Matroska (global SimpleTags, names upper-cased by
// FFmpeg's reader). PNG and APNG text is media/png_text.h's.
//
// The containers are walked by hand rather than through libavformat: only the metadata
// boxes/elements are read, media data is skipped, so reading a workflow from a large video is cheap.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::media {

/// True when `bytes` start like a RIFF WebP, an ISO media file (ftyp box) or an EBML file.
bool is_media_container(std::string_view bytes);

/// Every metadata entry (key, value) the container holds where ComfyUI puts the workflow, in
/// file order. Throws weft::Error(weft::ErrorCode::InvalidMedia) naming `origin` when the structure is broken
/// or the bytes are none of these containers.
std::vector<std::pair<std::string, std::string>> read_media_metadata(std::string_view bytes, std::string_view origin);

}  // namespace weft::media
