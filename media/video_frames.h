// media/video_frames.h — what the video codecs read and write: frames as an IMAGE batch, a frame
// rate and an optional audio track, as plain structs (the VIDEO and AUDIO node values wrap them
// in nodes/video_value.h).
#pragma once

#include <weft/tensor.h>

#include <cstdint>
#include <optional>

namespace weft::media {

/// An audio track: planar samples in -1..1 (ComfyUI's AUDIO "waveform") and their rate.
struct AudioTrack {
    Tensor waveform;          // F32 [1, channels, samples] in -1..1
    int64_t sample_rate = 0;
};

/// A decoded (or to-be-encoded) video.
struct VideoComponents {
    Tensor images;                     // F32 [N, H, W, 3]
    std::optional<AudioTrack> audio;
    double fps = 0;
};

}  // namespace weft::media
