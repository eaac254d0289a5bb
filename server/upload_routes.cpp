// POST /upload/image and /upload/mask (multipart/form-data); a mask is merged into the image it
// belongs to (its alpha becomes the image's alpha) and saved as PNG.
#include "folder_types.h"
#include "http_response.h"
#include "media/image_encode.h"
#include "media/png_io.h"
#include "multipart.h"
#include "paths.h"
#include "raster_image.h"
#include "server_state.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <optional>

namespace weft::server {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Upload {
    fs::path dir;           // folder / subfolder
    std::string name;       // the stored file name
    std::string subfolder;
    std::string type;
};

std::string field(const std::map<std::string, FormPart>& parts, const std::string& name, const std::string& fallback = {}) {
    auto it = parts.find(name);
    return it == parts.end() ? fallback : it->second.data;
}

// A free name in `dir`: `name` itself when absent or holding the same bytes, else "stem (n).ext".
std::string dedupe(const fs::path& dir, const std::string& name, const std::string& data) {
    std::error_code ec;
    const fs::path stem = fs::path(name).stem(), ext = fs::path(name).extension();
    for (int i = 0;; ++i) {
        const std::string candidate = i == 0 ? name : fmt::format("{} ({}){}", stem.string(), i, ext.string());
        const fs::path p = dir / candidate;
        if (!fs::exists(p, ec)) return candidate;
        if (fs::is_regular_file(p, ec) && fs::file_size(p, ec) == data.size() && read_file(p) == data) return candidate;
    }
}

// Where an upload goes; throws HttpError for a missing image, an unknown type or a path trick.
Upload place(ServerState& s, const std::map<std::string, FormPart>& parts, const FormPart& image) {
    Upload u;
    u.type = field(parts, "type", "input");
    if (u.type.empty()) u.type = "input";
    const auto base = folder_of_type(s.config.folders, u.type);
    if (!base) throw HttpError{http::status::bad_request, "invalid_request", fmt::format("unknown type '{}'", u.type)};
    u.subfolder = field(parts, "subfolder");
    if (image.filename.empty() || image.filename == "." || image.filename == "..")
        throw HttpError{http::status::bad_request, "invalid_path", "the uploaded file has no usable name"};
    u.dir = safe_join(*base, u.subfolder, "");
    safe_join(*base, u.subfolder, image.filename, true);  // refuses separators and '..' in the name
    std::error_code ec;
    fs::create_directories(u.dir, ec);
    if (!is_within(*base, u.dir)) throw HttpError{http::status::forbidden, "invalid_path", "the subfolder leads outside the folder"};
    const std::string overwrite = field(parts, "overwrite");
    u.name = (overwrite == "true" || overwrite == "1") ? image.filename : dedupe(u.dir, image.filename, image.data);
    return u;
}

// The image an /upload/mask request refers to: original_ref {filename, subfolder, type}, the
// filename possibly annotated "name.png [input]"; the type defaults to output, as in ComfyUI.
fs::path original_of(ServerState& s, const std::map<std::string, FormPart>& parts) {
    const json ref = json::parse(field(parts, "original_ref"), nullptr, false);
    if (!ref.is_object() || !ref.contains("filename") || !ref["filename"].is_string() || ref["filename"].get<std::string>().empty())
        throw HttpError{http::status::bad_request, "invalid_request", "original_ref must be {\"filename\", \"subfolder\", \"type\"}"};
    std::string filename = ref["filename"].get<std::string>();
    std::string type = ref.contains("type") && ref["type"].is_string() ? ref["type"].get<std::string>() : "output";
    take_type_annotation(filename, type);
    const auto base = folder_of_type(s.config.folders, type);
    if (!base) throw HttpError{http::status::bad_request, "invalid_request", "original_ref has an unknown type"};
    const std::string subfolder = ref.contains("subfolder") && ref["subfolder"].is_string() ? ref["subfolder"].get<std::string>() : "";
    const fs::path original = safe_join(*base, subfolder, filename);
    std::error_code ec;
    if (!fs::is_regular_file(original, ec)) throw HttpError{http::status::not_found, "not_found", "original_ref names no file"};
    return original;
}

RasterImage decode_upload(std::string_view bytes, const std::string& what) {
    try {
        return decode_raster(bytes);
    } catch (const Error& e) {
        throw HttpError{http::status::bad_request, "invalid_image", fmt::format("{}: {}", what, e.what())};
    }
}

// ComfyUI's mask editor result: the original image (as RGBA) with the uploaded image's alpha as
// its alpha, saved as PNG with the original's text chunks (the embedded workflow survives).
std::string merge_mask(const fs::path& original_path, const std::string& mask_bytes) {
    const auto original_bytes = read_file(original_path);
    if (!original_bytes) throw HttpError{http::status::not_found, "not_found", "original_ref cannot be read"};
    RasterImage original = decode_upload(*original_bytes, "original_ref");
    const RasterImage mask = decode_upload(mask_bytes, "the uploaded mask");
    if (mask.width != original.width || mask.height != original.height)
        throw HttpError{http::status::bad_request, "invalid_image",
                        fmt::format("the mask is {}x{} but the original image is {}x{}", mask.width, mask.height, original.width, original.height)};
    for (size_t i = 3; i < original.rgba.size(); i += 4) original.rgba[i] = mask.rgba[i];
    return media::encode_png(original.rgba, original.width, original.height, 4, original.texts, 4);
}

Response upload(ServerState& s, const RouteRequest& r, bool mask) {
    const auto parts = parse_multipart(to_std(r.raw[http::field::content_type]), r.raw.body());
    if (!parts) throw HttpError{http::status::bad_request, "invalid_request", "expected a multipart/form-data body"};
    auto image = parts->find("image");
    if (image == parts->end()) throw HttpError{http::status::bad_request, "invalid_request", "the form has no 'image' file"};
    std::optional<std::string> merged;
    if (mask) merged = merge_mask(original_of(s, *parts), image->second.data);
    const Upload u = place(s, *parts, image->second);
    std::error_code ec;
    // As in ComfyUI, a mask whose upload equals a file already there (same name and bytes) is not
    // saved again; an image is simply rewritten with the same bytes.
    const bool duplicate = mask && field(*parts, "overwrite") != "true" && field(*parts, "overwrite") != "1" && fs::exists(u.dir / u.name, ec);
    if (!duplicate && !write_file(u.dir / u.name, merged ? *merged : image->second.data))
        throw HttpError{http::status::internal_server_error, "write_failed", fmt::format("cannot write '{}'", u.name)};
    return json_response(http::status::ok, json{{"name", u.name}, {"subfolder", u.subfolder}, {"type", u.type}});
}

}  // namespace

void add_upload_routes(ServerState& s) {
    s.router.add(http::verb::post, "/upload/image", [&s](const RouteRequest& r) { return upload(s, r, false); });
    s.router.add(http::verb::post, "/upload/mask", [&s](const RouteRequest& r) { return upload(s, r, true); });
}

}  // namespace weft::server
