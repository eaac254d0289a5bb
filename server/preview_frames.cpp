#include "preview_frames.h"

#include "media/image_encode.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>

namespace weft::server {

namespace {

void put_u32(std::string& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

}  // namespace

std::optional<PreviewMethod> parse_preview_method(std::string_view name) {
    if (name == "none") return PreviewMethod::None;
    if (name == "latent2rgb" || name == "auto" || name == "taesd") return PreviewMethod::Latent2Rgb;
    return std::nullopt;
}

std::string preview_jpeg(const Event& e) {
    const Tensor img = e.image.contiguous();
    if (img.dtype() != DType::U8 || img.dim() != 3 || img.size(2) != 3)
        throw Error(ErrorCode::InvalidPreview, "a preview image must be U8 [H, W, 3], got " + img.describe());
    return media::encode_jpeg(std::span<const uint8_t>(img.data<uint8_t>(), size_t(img.numel())), int(img.size(1)), int(img.size(0)),
                       kPreviewJpegQuality);
}

std::string preview_frame(std::string_view jpeg) {
    std::string f;
    f.reserve(8 + jpeg.size());
    put_u32(f, 1);  // PREVIEW_IMAGE
    put_u32(f, 1);  // JPEG
    f.append(jpeg);
    return f;
}

std::string preview_frame_with_metadata(std::string_view jpeg, const Event& e) {
    const nlohmann::ordered_json meta = {
        {"node_id", e.node_id},
        {"prompt_id", e.prompt_id},
        {"display_node_id", e.display_node_id.empty() ? e.node_id : e.display_node_id},
        {"parent_node_id", e.parent_node_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.parent_node_id)},
        {"real_node_id", e.real_node_id.empty() ? e.node_id : e.real_node_id},
        {"image_type", "image/jpeg"},
    };
    const std::string text = meta.dump();
    std::string f;
    f.reserve(8 + text.size() + jpeg.size());
    put_u32(f, 4);  // PREVIEW_IMAGE_WITH_METADATA
    put_u32(f, static_cast<uint32_t>(text.size()));
    f.append(text);
    f.append(jpeg);
    return f;
}

}  // namespace weft::server
