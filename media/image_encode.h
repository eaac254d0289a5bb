// media/image_encode.h — 8-bit images to JPEG (libjpeg-turbo) and still WebP (libwebp) bytes in
// memory: the server's latent previews and /view?preview= variants. (PNG: media/png_io.h;
// animated WebP: media/animated_webp.h.)
//
// Pixels are interleaved, rows top to bottom. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace weft::media {

/// Baseline JPEG of RGB pixels at `quality` (0..100), 4:2:0 chroma as Pillow writes it.
std::string encode_jpeg(std::span<const uint8_t> rgb, int width, int height, int quality);
/// Lossy WebP of RGB (`channels` 3) or RGBA (4) pixels at `quality` (0..100).
std::string encode_webp(std::span<const uint8_t> pixels, int width, int height, int channels, int quality);

}  // namespace weft::media
