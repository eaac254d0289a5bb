// media/image_decode.h — image files to 8-bit frames, the way Pillow hands them to ComfyUI's
// LoadImage: PNG (libpng; palette and tRNS expanded, 16-bit samples reduced as Pillow does), JPEG
// (libjpeg-turbo, EXIF orientation applied like ImageOps.exif_transpose), WebP (libwebp, every
// frame of an animation composited on its canvas). The format is detected from the content.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::nodes {

/// One frame, interleaved 8-bit: channels 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA).
struct ImageFrame {
    int width = 0, height = 0, channels = 0;
    std::vector<uint8_t> pixels;

    bool has_alpha() const { return channels == 2 || channels == 4; }
    /// Channel `c` (0..2 = R, G, B; 3 = alpha) of every pixel, as Pillow's convert("RGBA")
    /// would give it: gray is replicated, a missing alpha is 255.
    std::vector<uint8_t> rgba_channel(int c) const;
};

struct DecodedImage {
    std::string format;  // "PNG", "JPEG", "WEBP"
    std::vector<ImageFrame> frames;
};

/// Reads and decodes a file. Throws weft::Error naming the path: "file_not_found" when it cannot
/// be read, "invalid_image" for unsupported or corrupt data.
DecodedImage decode_image_file(const std::filesystem::path& path);

}  // namespace weft::nodes
