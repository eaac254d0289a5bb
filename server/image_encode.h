// server/image_encode.h — 8-bit images to JPEG (libjpeg-turbo), WebP (libwebp) and PNG (libpng)
// bytes in memory: latent previews, /view?preview=, /upload/mask results.
//
// Pixels are interleaved, rows top to bottom. Thread safety: pure functions.
#pragma once

#include "raster_image.h"

#include <cstdint>
#include <span>
#include <string>

namespace weft::server {

/// Baseline JPEG of RGB pixels at `quality` (0..100), 4:2:0 chroma as Pillow writes it.
std::string encode_jpeg(std::span<const uint8_t> rgb, int width, int height, int quality);
/// Lossy WebP of RGB (`channels` 3) or RGBA (4) pixels at `quality` (0..100).
std::string encode_webp(std::span<const uint8_t> pixels, int width, int height, int channels, int quality);
/// PNG of gray (1), RGB (3) or RGBA (4) pixels with `texts` before the image data, zlib level
/// `compress_level`.
std::string encode_png(std::span<const uint8_t> pixels, int width, int height, int channels,
                       std::span<const PngTextChunk> texts = {}, int compress_level = 4);

}  // namespace weft::server
