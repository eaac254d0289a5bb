#include "view_variant.h"

#include "http_response.h"
#include "media/image_encode.h"
#include "media/png_io.h"
#include "raster_image.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace weft::server {

namespace {

HttpError bad(std::string message) { return HttpError{http::status::bad_request, "invalid_request", std::move(message)}; }

struct PreviewSpec {
    std::string format;  // "webp" or "jpeg"
    int quality = 90;
};

PreviewSpec parse_preview(const std::string& value) {
    PreviewSpec p;
    const size_t semi = value.find(';');
    p.format = value.substr(0, semi);
    if (p.format != "webp" && p.format != "jpeg")
        throw bad(fmt::format("preview '{}': the format must be webp or jpeg, as in preview=webp;90", value));
    if (semi != std::string::npos) {
        const std::string q = value.substr(semi + 1);
        if (q.empty() || q.size() > 3 || !std::all_of(q.begin(), q.end(), [](unsigned char c) { return std::isdigit(c); }) || std::stoi(q) > 100)
            throw bad(fmt::format("preview '{}': the quality must be a whole number from 0 to 100", value));
        p.quality = std::stoi(q);
    }
    return p;
}

RasterImage decode_or_400(std::string_view bytes) {
    try {
        return decode_raster(bytes);
    } catch (const Error& e) {
        throw bad(fmt::format("the file cannot be converted: {}", e.what()));
    }
}

}  // namespace

std::optional<ViewVariant> view_variant(std::string_view file_bytes, const std::optional<std::string>& preview,
                                        const std::optional<std::string>& channel) {
    if (channel && *channel != "rgb" && *channel != "rgba" && *channel != "a")
        throw bad(fmt::format("channel '{}': expected rgb, rgba or a", *channel));
    if (preview) {
        PreviewSpec p = parse_preview(*preview);
        // ComfyUI tests for the letter 'a' in the channel value, so rgba also forces webp.
        if (channel && channel->find('a') != std::string::npos) p.format = "webp";
        const RasterImage img = decode_or_400(file_bytes);
        const bool rgb_only = p.format == "jpeg" || channel == "rgb" || !img.has_transparency;
        ViewVariant v;
        v.content_type = "image/" + p.format;
        if (p.format == "jpeg") v.body = media::encode_jpeg(img.rgb(), img.width, img.height, p.quality);
        else if (rgb_only) v.body = media::encode_webp(img.rgb(), img.width, img.height, 3, p.quality);
        else v.body = media::encode_webp(img.rgba, img.width, img.height, 4, p.quality);
        return v;
    }
    if (!channel || *channel == "rgba") return std::nullopt;
    const RasterImage img = decode_or_400(file_bytes);
    ViewVariant v;
    v.content_type = "image/png";
    if (*channel == "rgb") {
        v.body = media::encode_png(img.rgb(), img.width, img.height, 3);
    } else {
        // A black image carrying the alpha: opaque everywhere unless the file is RGBA.
        std::vector<uint8_t> out(size_t(img.width) * size_t(img.height) * 4, 0);
        for (size_t i = 0, n = out.size() / 4; i < n; ++i) out[i * 4 + 3] = img.rgba_mode ? img.rgba[i * 4 + 3] : 255;
        v.body = media::encode_png(out, img.width, img.height, 4);
    }
    return v;
}

}  // namespace weft::server
