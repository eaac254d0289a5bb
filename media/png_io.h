// media/png_io.h — PNG files through libpng: 8-bit writing with text chunks, reading back.
//
// Text chunks are how ComfyUI embeds the workflow in an image: tEXt "prompt" = the API JSON and
// one tEXt per extra_pnginfo key ("workflow" = the UI JSON). Chunks precede the image data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace weft::nodes {

struct PngText {
    std::string key;   // 1..79 Latin-1 characters
    std::string text;
};

/// Writes interleaved 8-bit pixels (channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), rows top to
/// bottom, zlib level `compress_level` (0..9). Text that is not plain ASCII goes in an iTXt (UTF-8)
/// chunk, the rest in tEXt. Throws weft::Error naming the path on failure (no partial file left).
void write_png(const std::filesystem::path& path, std::span<const uint8_t> pixels, int width, int height,
               int channels, std::span<const PngText> texts = {}, int compress_level = 4);

struct PngImage {
    int width = 0, height = 0;
    int channels = 0;             // after expansion: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    int bit_depth = 8;            // 8 or 16
    std::vector<uint16_t> pixels; // interleaved samples (0..255 or 0..65535 per bit_depth)
    std::vector<PngText> texts;   // tEXt, zTXt and iTXt chunks, in file order
};

/// Reads a PNG (palette and low bit depths expanded, tRNS turned into alpha). Throws weft::Error
/// naming the path when the file is missing or not a valid PNG.
PngImage read_png(const std::filesystem::path& path);

/// JSON text with every non-ASCII character written as \uXXXX escapes (UTF-16 pairs above the
/// BMP), as Python's json.dumps does; the result fits a tEXt chunk. Invalid UTF-8 bytes become
/// U+FFFD.
std::string json_ascii(std::string_view json_utf8);

}  // namespace weft::nodes
