// media/video_decode.h — video files (any container and codec FFmpeg decodes) to IMAGE frames,
// frame rate, audio and container metadata.
#pragma once

#include "media/video_frames.h"

#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace weft::media {

struct VideoFileInfo {
    int width = 0, height = 0;
    double fps = 0;
    int64_t frame_count = -1;   // from the container; -1 when it does not say
    std::string codec;          // decoder name ("h264", "vp9", ...)
    bool has_audio = false;
    /// Container metadata (MP4 with use_metadata_tags keeps the case; Matroska upper-cases keys).
    std::map<std::string, std::string> metadata;
};

/// Opens the file and reads its headers only. Throws weft::Error naming the path:
/// "file_not_found" when it cannot be read, "invalid_video" when it is not a video FFmpeg can
/// decode (unknown container, no video stream, no decoder for its codec).
VideoFileInfo probe_video_file(const std::filesystem::path& path);

/// Decodes every frame as RGB (F32 [N,H,W,3]) and the first audio stream as planar float. Frames
/// of another size than the first are scaled to it. `on_frame(n)` is called after each frame (for
/// cancellation). Throws weft::Error(weft::ErrorCode::InvalidVideo) naming the path for corrupt or truncated
/// data (fewer frames than the container announces) and for a video without frames.
VideoComponents decode_video_file(const std::filesystem::path& path, const std::function<void(int64_t)>& on_frame = {});

}  // namespace weft::media
