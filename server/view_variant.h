// server/view_variant.h — what GET /view's preview= and channel= make of an image file, as
// ComfyUI's route does it with Pillow (comfyui-executor.md §5.1):
//   preview=FORMAT[;QUALITY]  re-encoded as webp or jpeg (quality default 90); webp whenever the
//                             channel value contains an 'a' ("a", "rgba"), since JPEG has no alpha;
//                             RGB only for jpeg or channel=rgb. preview wins over channel.
//   channel=rgb               the image without alpha, as PNG
//   channel=a                 the alpha channel as the alpha of a black RGBA PNG (opaque when the
//                             file is not an RGBA image)
//   channel=rgba / none       the file as stored (no variant)
// Unlike ComfyUI, which falls back to webp, 90 or the stored file, malformed values are refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace weft::server {

struct ViewVariant {
    std::string body;
    std::string content_type;  // "image/png", "image/webp", "image/jpeg"
};

/// The variant of `file_bytes` that `preview` and `channel` (nullopt: absent) ask for, or nullopt
/// when the stored file is the answer. Throws HttpError 400 for a malformed value or a file that is
/// not a PNG, JPEG or WebP image.
std::optional<ViewVariant> view_variant(std::string_view file_bytes, const std::optional<std::string>& preview,
                                        const std::optional<std::string>& channel);

}  // namespace weft::server
