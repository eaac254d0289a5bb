// GET /view (files of the input, output and temp folders, or converted variants of their images:
// view_variant.h) and the front end's static files.
#include "folder_types.h"
#include "http_response.h"
#include "paths.h"
#include "server_state.h"
#include "view_variant.h"

#include <fmt/format.h>

namespace weft::server {

namespace fs = std::filesystem;

namespace {

Response file_response(const fs::path& path, std::string data, bool force_download) {
    std::string type = mime_type(path);
    // Never let a served file run as a page or script in the frontend's origin.
    if (force_download && (type == "text/html" || type == "text/javascript" || type == "text/css" || type == "image/svg+xml"))
        type = "application/octet-stream";
    Response res{http::status::ok, 11};
    res.set(http::field::server, "weft");
    res.set(http::field::content_type, type);
    if (force_download) res.set(http::field::content_disposition, fmt::format("filename=\"{}\"", path.filename().string()));
    res.body() = std::move(data);
    res.prepare_payload();
    return res;
}

Response get_view(ServerState& s, const RouteRequest& r) {
    std::string filename = r.query("filename");
    if (filename.empty()) throw HttpError{http::status::bad_request, "invalid_request", "filename is required"};
    std::string type = r.query("type", "output");
    take_type_annotation(filename, type);
    const auto base = folder_of_type(s.config.folders, type);
    if (!base) throw HttpError{http::status::bad_request, "invalid_request", fmt::format("unknown type '{}'", type)};
    const fs::path path = safe_join(*base, r.query("subfolder"), filename);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw HttpError{http::status::not_found, "not_found", fmt::format("no file '{}'", filename)};
    auto data = read_file(path);
    if (!data) throw HttpError{http::status::not_found, "not_found", fmt::format("cannot read '{}'", filename)};
    auto optional_query = [&](const char* key) { return r.has_query(key) ? std::optional<std::string>(r.query(key)) : std::nullopt; };
    if (auto v = view_variant(*data, optional_query("preview"), optional_query("channel"))) {
        Response res{http::status::ok, 11};
        res.set(http::field::server, "weft");
        res.set(http::field::content_type, v->content_type);
        res.set(http::field::content_disposition, fmt::format("filename=\"{}\"", path.filename().string()));
        res.body() = std::move(v->body);
        res.prepare_payload();
        return res;
    }
    return file_response(path, std::move(*data), true);
}

Response get_static(ServerState& s, const RouteRequest& r) {
    const fs::path& root = s.config.front_end_root;
    if (root.empty()) throw HttpError{http::status::not_found, "not_found", fmt::format("no route for {}", r.target.path)};
    std::string rel = r.target.path.substr(1);
    if (rel.empty() || rel.back() == '/') rel += "index.html";
    const fs::path path = safe_join(root, "", rel);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw HttpError{http::status::not_found, "not_found", fmt::format("no file for {}", r.target.path)};
    auto data = read_file(path);
    if (!data) throw HttpError{http::status::not_found, "not_found", fmt::format("cannot read {}", r.target.path)};
    return file_response(path, std::move(*data), false);
}

}  // namespace

void add_view_routes(ServerState& s) {
    s.router.add(http::verb::get, "/view", [&s](const RouteRequest& r) { return get_view(s, r); });
    s.router.set_fallback([&s](const RouteRequest& r) { return get_static(s, r); });
}

}  // namespace weft::server
