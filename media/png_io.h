// media/png_io.h — PNG through libpng: 8-bit encoding with text chunks (in memory or to a file)
// and decoding (from memory or a file) with the file's text chunks (read by media/png_text.h).
#pragma once

#include "media/png_text.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::media {

/// PNG bytes of interleaved 8-bit pixels (channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), rows top
/// to bottom, zlib level `compress_level` (0..9), `texts` before the image data: plain ASCII in
/// tEXt, anything else in an iTXt (UTF-8) chunk; keys that are no PNG keyword are skipped.
/// Throws weft::Error(weft::ErrorCode::InvalidImage) when the buffer does not match the size.
std::string encode_png(std::span<const uint8_t> pixels, int width, int height, int channels,
                       std::span<const PngText> texts = {}, int compress_level = 4);

/// encode_png written to `path`. Throws weft::Error(weft::ErrorCode::SaveFailed) naming the path on failure
/// (no partial file left).
void write_png(const std::filesystem::path& path, std::span<const uint8_t> pixels, int width, int height,
               int channels, std::span<const PngText> texts = {}, int compress_level = 4);

struct PngImage {
    int width = 0, height = 0;
    int channels = 0;             // after expansion: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    int bit_depth = 8;            // 8 or 16
    std::vector<uint16_t> pixels; // interleaved samples (0..255 or 0..65535 per bit_depth)
    std::vector<PngText> texts;   // tEXt, zTXt, iTXt and comf chunks, in file order
    bool rgba_color_type = false; // stored as RGB + alpha (Pillow opens it in mode "RGBA")
    bool has_transparency = false;// an alpha channel or a tRNS chunk
};

/// Decodes PNG bytes (palette and low bit depths expanded, tRNS turned into alpha). Throws
/// weft::Error(weft::ErrorCode::InvalidImage) naming `origin` when they are not a valid PNG.
PngImage decode_png(std::string_view bytes, std::string_view origin);

/// decode_png of a file. Throws weft::Error naming the path: "file_not_found" when it cannot be
/// read, "invalid_image" when it is not a valid PNG.
PngImage read_png(const std::filesystem::path& path);

}  // namespace weft::media
