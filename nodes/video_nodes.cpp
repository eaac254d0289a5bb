// LoadVideo, CreateVideo, GetVideoComponents, SaveVideo and SaveWEBM: the VIDEO type.
#include "nodes/node_errors.h"
#include "nodes/image_pixels.h"
#include "nodes/input_files.h"
#include "nodes/node_families.h"
#include "nodes/output_path.h"
#include "media/png_io.h"
#include "media/video_decode.h"
#include "media/video_encode.h"
#include "nodes/video_value.h"

#include <weft/node.h>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace weft::nodes {

namespace {

const std::vector<std::string> kVideoExtensions = {".mp4", ".webm", ".mkv", ".mov", ".avi", ".m4v",
                                                   ".gif", ".mpg", ".mpeg", ".flv", ".wmv", ".ogv"};

// ComfyUI's video metadata: extra_pnginfo keys then "prompt" (SaveVideo), or "prompt" first
// (SaveWEBM); values are JSON text with non-ASCII escaped, as json.dumps writes it.
std::vector<std::pair<std::string, std::string>> video_metadata(const NodeContext& ctx, bool prompt_first) {
    std::vector<std::pair<std::string, std::string>> m;
    const bool has_prompt = !ctx.prompt_json().empty();
    if (prompt_first && has_prompt) m.emplace_back("prompt", media::json_ascii(ctx.prompt_json()));
    for (const auto& [key, json] : ctx.extra_pnginfo()) m.emplace_back(key, media::json_ascii(json));
    if (!prompt_first && has_prompt) m.emplace_back("prompt", media::json_ascii(ctx.prompt_json()));
    return m;
}

// Encodes `images` to "<prefix>_<counter>_.<ext>" in the output folder; returns the ui result.
Dict save_video_file(NodeContext& ctx, const Tensor& images, const std::string& ext, media::VideoEncodeOptions options) {
    const Tensor batch = with_input(ctx, "images", [&] { return image_batch_f32(images, "images"); });
    const SavePath where = with_input(ctx, "filename_prefix", [&] {
        return resolve_save_path(ctx.get_string("filename_prefix"), ctx.folders().output, batch.size(2), batch.size(1));
    });
    const std::string file = fmt::format("{}_{:05}_.{}", where.filename, where.counter, ext);
    const int64_t n = batch.size(0);
    media::encode_video(where.folder / file, batch, options, [&](int64_t i) { ctx.progress(double(i), double(n)); });
    List results{Dict{{"filename", file}, {"subfolder", where.subfolder}, {"type", "output"}}};
    return Dict{{"images", std::move(results)}, {"animated", List{true}}};
}

NodeSchema with_metadata_inputs(NodeSchema s) {
    return s.hidden("prompt", Hidden::Prompt).hidden("extra_pnginfo", Hidden::ExtraPngInfo);
}

}  // namespace

void register_video_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("LoadVideo")
                               .display("Load Video")
                               .category("image/video")
                               .module("comfy_extras.nodes_video")
                               .required(file_picker("file", kVideoExtensions))
                               .output("VIDEO")};
        add_picked_file_checks(def, "file", "Invalid video file");
        def.execute = [](NodeContext& ctx) {
            const fs::path path = picked_file(ctx, "file");
            // Reading the headers now reports a file FFmpeg cannot decode at this node; the
            // frames are decoded when asked for.
            with_input(ctx, "file", [&] { return media::probe_video_file(path); });
            ctx.set_output(0, Video::to_value(Video::from_file(path)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("CreateVideo")
                               .display("Create Video")
                               .category("image/video")
                               .module("comfy_extras.nodes_video")
                               .required(Input::type_of("images", "IMAGE"))
                               .required(Input::floating("fps", 30.0).min(1.0).max(120.0).step(1.0))
                               .optional(Input::type_of("audio", "AUDIO"))
                               .output("VIDEO")};
        def.execute = [](NodeContext& ctx) {
            const Tensor images = with_input(ctx, "images", [&] { return image_batch_f32(ctx.get_tensor("images"), "images"); });
            std::optional<AudioTrack> audio;
            if (ctx.has("audio") && !ctx.input("audio").is_null())
                audio = with_input(ctx, "audio", [&] { return audio_from_value(ctx.input("audio")); });
            ctx.set_output(0, Video::to_value(Video::from_frames(images, ctx.get_float("fps"), std::move(audio))));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("GetVideoComponents")
                               .display("Get Video Components")
                               .category("image/video")
                               .module("comfy_extras.nodes_video")
                               .required(Input::type_of("video", "VIDEO"))
                               .output("IMAGE", "images")
                               .output("AUDIO", "audio")
                               .output("FLOAT", "fps")};
        def.execute = [](NodeContext& ctx) {
            const auto video = with_input(ctx, "video", [&] { return ctx.get_object<Video>("video"); });
            const VideoComponents c = with_input(ctx, "video", [&] { return video->components(); });
            ctx.set_output(0, c.images);
            ctx.set_output(1, c.audio ? audio_to_value(*c.audio) : Value());
            ctx.set_output(2, c.fps);
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{with_metadata_inputs(NodeSchema("SaveVideo")
                                                    .display("Save Video")
                                                    .category("image/video")
                                                    .module("comfy_extras.nodes_video")
                                                    .required(Input::type_of("video", "VIDEO"))
                                                    .required(Input::string("filename_prefix", "video/ComfyUI"))
                                                    .required(Input::combo("format", {"auto", "mp4"}))
                                                    .required(Input::combo("codec", {"auto", "h264"}))
                                                    .output_node())};
        def.execute = [](NodeContext& ctx) {
            const auto video = with_input(ctx, "video", [&] { return ctx.get_object<Video>("video"); });
            const VideoComponents c = with_input(ctx, "video", [&] { return video->components(); });
            media::VideoEncodeOptions o;
            o.container = "mp4";  // "auto" is MP4/H.264
            o.codec = "h264";
            o.fps = c.fps > 0 ? c.fps : 30.0;
            o.metadata = video_metadata(ctx, false);
            o.audio = c.audio ? &*c.audio : nullptr;
            ctx.set_ui(save_video_file(ctx, c.images, "mp4", std::move(o)));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{with_metadata_inputs(NodeSchema("SaveWEBM")
                                                    .category("image/video")
                                                    .module("comfy_extras.nodes_video")
                                                    .experimental()
                                                    .required(Input::type_of("images", "IMAGE"))
                                                    .required(Input::string("filename_prefix", "ComfyUI"))
                                                    .required(Input::combo("codec", {"vp9", "av1"}))
                                                    .required(Input::floating("fps", 24.0).min(0.01).max(1000.0).step(0.01))
                                                    .required(Input::floating("crf", 32.0).min(0).max(63.0).step(1))
                                                    .output_node())};
        def.execute = [](NodeContext& ctx) {
            media::VideoEncodeOptions o;
            o.container = "webm";
            o.codec = ctx.get_string("codec");
            o.fps = ctx.get_float("fps");
            o.crf = ctx.get_float("crf");
            o.metadata = video_metadata(ctx, true);
            ctx.set_ui(save_video_file(ctx, ctx.get_tensor("images"), "webm", std::move(o)));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
