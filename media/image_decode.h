// media/image_decode.h — image files to 8-bit frames, the way Pillow opens them for ComfyUI's
// LoadImage and its /view and /upload/mask routes: PNG (libpng; palette and tRNS expanded, 16-bit
// samples reduced as Pillow does, text chunks kept), JPEG (libjpeg-turbo, CMYK converted, EXIF
// orientation applied like ImageOps.exif_transpose when asked), WebP (libwebp, every frame of an
// animation composited on its canvas). The format is detected from the content. The one decoder
// of these formats: the nodes and the server both use it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "media/png_text.h"

namespace weft::media {

/// One frame, interleaved 8-bit: channels 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA).
struct ImageFrame {
    int width = 0, height = 0, channels = 0;
    std::vector<uint8_t> pixels;

    bool has_alpha() const { return channels == 2 || channels == 4; }
    /// Channel `c` (0..2 = R, G, B; 3 = alpha) of every pixel, as Pillow's convert("RGBA")
    /// would give it: gray is replicated, a missing alpha is 255.
    std::vector<uint8_t> rgba_channel(int c) const;
    /// The frame as interleaved RGBA (Pillow's convert("RGBA")).
    std::vector<uint8_t> to_rgba() const;
};

struct DecodedImage {
    std::string format;  // "PNG", "JPEG", "WEBP"
    std::vector<ImageFrame> frames;
    std::vector<PngText> texts;     // a PNG's text chunks, in file order (empty for other formats)
    bool has_transparency = false;  // the file carries alpha in any form (alpha channel, tRNS)
    /// Pillow opens the file in mode "RGBA" (a PNG stored as RGB+alpha, a WebP with alpha).
    bool rgba_mode = false;
};

/// How Pillow's caller treats the image: LoadImage (the defaults) or the server's routes.
struct DecodeOptions {
    /// Turn a JPEG upright by its EXIF orientation (LoadImage's ImageOps.exif_transpose).
    bool exif_transpose = true;
    /// 16-bit gray PNGs scaled by 1/255 and clipped (LoadImage's mode "I" handling); otherwise
    /// every 16-bit sample keeps its high byte (Pillow's plain conversion).
    bool scale_16bit_gray = true;
    /// Decode only the first frame of an animation.
    bool first_frame_only = false;
};

/// Decodes image bytes. Throws weft::Error(weft::ErrorCode::InvalidImage) naming `origin` for unsupported or
/// corrupt data.
DecodedImage decode_image(std::string_view bytes, std::string_view origin, const DecodeOptions& options = {});

/// Reads and decodes a file. Throws weft::Error naming the path: "file_not_found" when it cannot
/// be read, "invalid_image" for unsupported or corrupt data.
DecodedImage decode_image_file(const std::filesystem::path& path, const DecodeOptions& options = {});

}  // namespace weft::media
