// POST /upload/image and /upload/mask (multipart/form-data).
#include "folder_types.h"
#include "http_response.h"
#include "multipart.h"
#include "paths.h"
#include "server_state.h"

#include <fmt/format.h>

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

Response upload(ServerState& s, const RouteRequest& r, bool mask) {
    const auto parts = parse_multipart(to_std(r.raw[http::field::content_type]), r.raw.body());
    if (!parts) throw HttpError{http::status::bad_request, "invalid_request", "expected a multipart/form-data body"};
    auto image = parts->find("image");
    if (image == parts->end()) throw HttpError{http::status::bad_request, "invalid_request", "the form has no 'image' file"};
    if (mask) {
        // The mask is stored next to the image it belongs to, so the reference must be valid.
        const json ref = json::parse(field(*parts, "original_ref"), nullptr, false);
        if (!ref.is_object() || !ref.contains("filename") || !ref["filename"].is_string())
            throw HttpError{http::status::bad_request, "invalid_request", "original_ref must be {\"filename\", \"subfolder\", \"type\"}"};
        const auto base = folder_of_type(s.config.folders, ref.value("type", std::string("input")));
        if (!base) throw HttpError{http::status::bad_request, "invalid_request", "original_ref has an unknown type"};
        const fs::path original = safe_join(*base, ref.value("subfolder", std::string()), ref["filename"].get<std::string>());
        std::error_code ec;
        if (!fs::is_regular_file(original, ec)) throw HttpError{http::status::not_found, "not_found", "original_ref names no file"};
    }
    const Upload u = place(s, *parts, image->second);
    if (!write_file(u.dir / u.name, image->second.data))
        throw HttpError{http::status::internal_server_error, "write_failed", fmt::format("cannot write '{}'", u.name)};
    return json_response(http::status::ok, json{{"name", u.name}, {"subfolder", u.subfolder}, {"type", u.type}});
}

}  // namespace

void add_upload_routes(ServerState& s) {
    s.router.add(http::verb::post, "/upload/image", [&s](const RouteRequest& r) { return upload(s, r, false); });
    s.router.add(http::verb::post, "/upload/mask", [&s](const RouteRequest& r) { return upload(s, r, true); });
}

}  // namespace weft::server
