// server/raster_image.h — image files as ComfyUI's routes open them with Pillow: the first frame
// of a PNG, JPEG or WebP as 8-bit RGBA, plus what Pillow would report about it (its mode, its PNG
// text chunks). Used by GET /view (preview=, channel=) and POST /upload/mask. The decoding is
// media/'s (media/image_decode.h); this is the routes' view of its result.
//
// Thread safety: pure functions.
#pragma once

#include "media/png_text.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft::server {

struct RasterImage {
    int width = 0, height = 0;
    /// Interleaved RGBA, rows top to bottom: gray replicated, palette and tRNS applied, alpha 255
    /// where the file has none (Pillow's convert("RGBA")).
    std::vector<uint8_t> rgba;
    /// The file carries transparency in any form (an alpha channel or a tRNS chunk).
    bool has_transparency = false;
    /// Pillow opens the file in mode "RGBA" (a PNG with an RGB+alpha color type, a WebP with
    /// alpha): only then does ComfyUI's /view?channel=a read the file's alpha.
    bool rgba_mode = false;
    /// PNG text chunks in file order (empty for other formats).
    std::vector<media::PngText> texts;

    /// The pixels without alpha, interleaved RGB.
    std::vector<uint8_t> rgb() const;
    /// The alpha channel alone.
    std::vector<uint8_t> alpha() const;
};

/// Decodes the first frame of a PNG, JPEG or WebP (detected from the content) as Pillow's
/// Image.open does (no EXIF transpose). Throws weft::Error(weft::ErrorCode::InvalidImage) for anything else or
/// corrupt data.
RasterImage decode_raster(std::string_view bytes);

}  // namespace weft::server
