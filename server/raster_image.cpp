// The routes' RGBA view of media/'s image decoder (see raster_image.h).
#include "raster_image.h"

#include "media/image_decode.h"

namespace weft::server {

std::vector<uint8_t> RasterImage::rgb() const {
    std::vector<uint8_t> out(size_t(width) * size_t(height) * 3);
    for (size_t i = 0, n = out.size() / 3; i < n; ++i)
        for (size_t c = 0; c < 3; ++c) out[i * 3 + c] = rgba[i * 4 + c];
    return out;
}

std::vector<uint8_t> RasterImage::alpha() const {
    std::vector<uint8_t> out(size_t(width) * size_t(height));
    for (size_t i = 0; i < out.size(); ++i) out[i] = rgba[i * 4 + 3];
    return out;
}

RasterImage decode_raster(std::string_view bytes) {
    media::DecodeOptions options;
    options.exif_transpose = false;    // Image.open keeps the stored orientation
    options.scale_16bit_gray = false;  // convert() keeps the high byte of 16-bit samples
    options.first_frame_only = true;
    media::DecodedImage img = media::decode_image(bytes, "upload", options);
    const media::ImageFrame& f = img.frames.front();
    RasterImage out;
    out.width = f.width;
    out.height = f.height;
    out.rgba = f.to_rgba();
    out.has_transparency = img.has_transparency;
    out.rgba_mode = img.rgba_mode;
    out.texts = std::move(img.texts);
    return out;
}

}  // namespace weft::server
