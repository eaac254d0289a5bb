// media/video_encode.h — IMAGE batches to video files with libavformat/libavcodec: MP4 (H.264,
// libx264) and WebM (VP9, libvpx-vp9; AV1, libsvtav1), optional AAC audio in MP4, container
// metadata, frames converted one at a time (no second copy of the batch).
#pragma once

#include "media/video_frames.h"

#include <weft/tensor.h>

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace weft::media {

struct VideoEncodeOptions {
    std::string container = "mp4";  // "mp4" or "webm"
    std::string codec = "h264";     // "h264" (mp4), "vp9" or "av1" (webm)
    double fps = 24;
    /// The codec's crf; negative keeps the encoder's default (x264: 23).
    double crf = -1;
    /// Container metadata, in order (ComfyUI: "prompt" and each extra_pnginfo key, JSON text).
    std::vector<std::pair<std::string, std::string>> metadata;
    /// Audio to mux (AAC; MP4 only).
    const AudioTrack* audio = nullptr;
    /// Encoder threads; 0 lets the encoder choose.
    int threads = 0;
};

/// Encodes `images` (IMAGE [N,H,W,C], C 1..4; alpha is dropped) into `path`. The file is written
/// under a temporary name in the same folder and renamed when complete, so no partial file is
/// left under `path`. `on_frame(i)` runs before frame i is encoded (for progress and
/// cancellation; an exception from it aborts and removes the temporary file). Throws
/// weft::Error(weft::ErrorCode::InvalidVideo) for zero frames, odd sizes (yuv420p needs even width and height),
/// a codec this FFmpeg lacks, and write failures, naming the path.
void encode_video(const std::filesystem::path& path, const Tensor& images, const VideoEncodeOptions& options,
                  const std::function<void(int64_t)>& on_frame = {});

/// True when this FFmpeg build has the encoder `codec` ("h264", "vp9", "av1") uses.
bool video_encoder_available(const std::string& codec);

}  // namespace weft::media
