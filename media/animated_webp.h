// media/animated_webp.h — animated WebP files through libwebp (WebPAnimEncoder, WebPMux for the
// EXIF chunk, WebPAnimDecoder to read back; FFmpeg 5.1 cannot decode animated WebP).
//
// The workflow goes in the EXIF chunk as ComfyUI's SaveAnimatedWEBP writes it: a little-endian
// TIFF whose IFD0 holds ASCII entries "prompt:<json>" (tag 0x0110, Model) and "<key>:<json>" for
// each extra_pnginfo key from tag 0x010F (Make) downwards.
#pragma once

#include <weft/tensor.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace weft::media {

struct AnimatedWebpOptions {
    double fps = 6;           // each frame lasts int(1000 / fps) ms
    bool lossless = true;
    int quality = 80;         // 0..100
    int method = 4;           // 0 (fastest) .. 6 (slowest)
    std::string exif;         // the EXIF chunk's payload (a TIFF), empty for none
};

/// The EXIF payload (TIFF) carrying `entries` as ASCII tags: tag -> text.
std::string exif_ascii_tiff(const std::vector<std::pair<uint16_t, std::string>>& entries);

/// Writes every item of `images` (IMAGE [N,H,W,C]) as one frame, looping forever, under a
/// temporary name renamed when complete. `on_frame(i)` runs before frame i. Throws
/// weft::Error(weft::ErrorCode::InvalidImage) naming the path on failure.
void write_animated_webp(const std::filesystem::path& path, const Tensor& images, const AnimatedWebpOptions& options,
                         const std::function<void(int64_t)>& on_frame = {});

struct AnimatedWebp {
    int width = 0, height = 0;
    std::vector<std::vector<uint8_t>> frames;  // RGBA, composited on the canvas
    std::vector<int> timestamps_ms;            // end time of each frame
    int loop_count = 0;
    std::string exif;                          // the EXIF chunk, empty when absent
};

/// Reads an (animated or still) WebP file. Throws weft::Error(weft::ErrorCode::InvalidImage) naming the path.
AnimatedWebp read_animated_webp(const std::filesystem::path& path);

}  // namespace weft::media
