// media/png_text.h — the text chunks of a PNG: the one reader of tEXt, zTXt, iTXt (compressed or
// not) and ComfyUI's "comf" chunks, used by the image decoders, graph/'s embedded-workflow reader
// and the server's mask upload (which copies them to its result).
//
// Text chunks are how ComfyUI embeds the workflow in an image: tEXt "prompt" = the API JSON and
// one chunk per extra_pnginfo key ("workflow" = the UI JSON), before or after the image data.
// The chunks are found by walking the chunk list, without decoding pixels.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft::media {

/// One text chunk: its keyword and its text as UTF-8 (tEXt/zTXt/comf Latin-1 converted).
struct PngText {
    std::string key;   // 1..79 Latin-1 characters
    std::string text;

    bool operator==(const PngText&) const = default;
};

/// Every text chunk of a PNG, in file order. Throws weft::Error(weft::ErrorCode::InvalidImage) naming
/// `origin` (a file name or "upload") when the bytes are not a PNG, a chunk is truncated, or a
/// compressed text cannot be inflated (or inflates beyond 256 MiB).
std::vector<PngText> read_png_texts(std::string_view bytes, std::string_view origin);

/// JSON text with every non-ASCII character written as \uXXXX escapes (UTF-16 pairs above the
/// BMP), as Python's json.dumps does; the result fits a tEXt chunk. Invalid UTF-8 bytes become
/// U+FFFD.
std::string json_ascii(std::string_view json_utf8);

}  // namespace weft::media
