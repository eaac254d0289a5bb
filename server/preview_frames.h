// server/preview_frames.h — latent previews on the WebSocket: which method a prompt uses, and the
// binary frames ComfyUI's clients read (comfyui-executor.md §5.3). All integers are big-endian:
//   type 1: [u32 1][u32 1 = JPEG][JPEG bytes]
//   type 4: [u32 4][u32 json length][json {node_id, prompt_id, display_node_id, parent_node_id,
//            real_node_id, image_type}][JPEG bytes]  (only to clients that negotiated
//            supports_preview_metadata; they get no type 1)
#pragma once

#include <weft/server.h>

#include <weft/events.h>

#include <optional>
#include <string>
#include <string_view>

namespace weft::server {

/// JPEG quality of previews (ComfyUI's send_image uses 95).
inline constexpr int kPreviewJpegQuality = 95;

/// The JPEG of a Preview event's image (U8 [H, W, 3]).
std::string preview_jpeg(const Event& preview);
/// Binary frame type 1 around `jpeg`.
std::string preview_frame(std::string_view jpeg);
/// Binary frame type 4 around `jpeg`, with the event's node ids and prompt id.
std::string preview_frame_with_metadata(std::string_view jpeg, const Event& preview);

}  // namespace weft::server
