// nodes/video_value.h — the VIDEO value: an immutable video that is either frames in memory (an
// IMAGE batch from CreateVideo) or a file decoded when its frames are asked for (LoadVideo), with
// a frame rate and optional audio. AUDIO values are ComfyUI's dict
// {"waveform": F32 [1, channels, samples], "sample_rate": INT}.
#pragma once

#include "media/video_frames.h"

#include <weft/tensor.h>
#include <weft/value.h>

#include <filesystem>
#include <memory>
#include <optional>

namespace weft::nodes {

using media::AudioTrack;
using media::VideoComponents;

/// An AUDIO value as a track; throws weft::Error(weft::ErrorCode::InvalidInputType) naming `what` when `v`
/// is not {"waveform": tensor, "sample_rate": int}.
AudioTrack audio_from_value(const Value& v, std::string_view what = "audio");
/// The AUDIO dict of a track.
Value audio_to_value(const AudioTrack& a);

class Video {
public:
    /// Frames held in memory (an IMAGE batch [N,H,W,C]).
    static std::shared_ptr<const Video> from_frames(Tensor images, double fps, std::optional<AudioTrack> audio);
    /// A video file, decoded on demand (each call decodes again; the cache keeps the results).
    static std::shared_ptr<const Video> from_file(std::filesystem::path path);

    bool is_file() const { return !source_.empty(); }
    const std::filesystem::path& source() const { return source_; }
    /// Frames, audio and frame rate (decoding the file when the video is one).
    VideoComponents components() const;
    /// Bytes held in memory (the frames of an in-memory video).
    size_t bytes() const;

    /// The VIDEO value wrapping `v`.
    static Value to_value(std::shared_ptr<const Video> v);

private:
    std::filesystem::path source_;
    VideoComponents frames_;
};

}  // namespace weft::nodes
