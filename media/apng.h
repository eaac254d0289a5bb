// media/apng.h — animated PNG (APNG) written and read by hand: Debian's libpng has no APNG
// support. Every frame is a full canvas frame (fcTL + IDAT for the first, fcTL + fdAT after),
// deflated with zlib at the chosen level.
//
// The workflow goes in "comf" chunks after the image data, as ComfyUI's SaveAnimatedPNG writes
// it: each chunk holds "<key>\0<json>" (Latin-1), "prompt" first, then the extra_pnginfo keys.
#pragma once

#include "media/png_text.h"

#include <weft/tensor.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace weft::media {

struct ApngOptions {
    double fps = 6;               // each frame lasts int(1000 / fps) ms
    int compress_level = 4;       // zlib 0..9
    std::vector<PngText> comf;    // "comf" chunks (key, JSON text)
};

/// Writes every item of `images` (IMAGE [N,H,W,C], C 1..4) as one frame of an APNG that loops
/// forever, under a temporary name renamed when complete. `on_frame(i)` runs before frame i.
/// Throws weft::Error(weft::ErrorCode::InvalidImage) naming the path on failure.
void write_apng(const std::filesystem::path& path, const Tensor& images, const ApngOptions& options,
                const std::function<void(int64_t)>& on_frame = {});

struct Apng {
    int width = 0, height = 0;
    int channels = 0;                          // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    std::vector<std::vector<uint8_t>> frames;  // composited canvas after each frame
    std::vector<double> delays_s;              // per frame
    int loop_count = 0;
    std::vector<PngText> texts;                // text and comf chunks, in file order (png_text.h)
};

/// Reads an 8-bit, non-interlaced PNG or APNG (gray, RGB, gray+alpha, RGBA), compositing frames
/// with their dispose and blend operations; a PNG without acTL is one frame. Throws
/// weft::Error(weft::ErrorCode::InvalidImage) naming the path for corrupt or unsupported files.
Apng read_apng(const std::filesystem::path& path);

}  // namespace weft::media
