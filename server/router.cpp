#include "router.h"

#include "http_response.h"

#include <weft/error.h>

#include <fmt/format.h>

namespace weft::server {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (true) {
        const size_t slash = path.find('/');
        out.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

std::string RouteRequest::query(const std::string& key, const std::string& fallback) const {
    auto it = target.query.find(key);
    return it == target.query.end() ? fallback : it->second;
}

void Router::add(http::verb method, std::string pattern, RouteHandler handler) {
    routes_.push_back(Route{method, split_path(pattern), std::move(handler)});
}

Response Router::handle(const Request& req, std::function<void()>* after_write) const {
    std::optional<Target> target = parse_target(to_std(req.target()));
    if (!target) return error_response(http::status::bad_request, "invalid_request", "malformed request target");

    // The frontend calls /api/..., scripts and SDKs the bare paths: both reach the same handlers.
    std::vector<std::string> segments = split_path(target->path);
    if (segments.size() > 1 && segments.front() == "api") segments.erase(segments.begin());
    // HEAD is answered as GET without a body.
    const http::verb method = req.method() == http::verb::head ? http::verb::get : req.method();

    bool path_known = false;
    for (const Route& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        std::vector<std::string> params;
        bool match = true;
        for (size_t i = 0; i < segments.size() && match; ++i) {
            const std::string& s = route.segments[i];
            if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
                if (segments[i].empty()) match = false;
                else params.push_back(segments[i]);
            } else if (s != segments[i]) {
                match = false;
            }
        }
        if (!match) continue;
        path_known = true;
        if (route.method != method) continue;
        return run(route.handler, req, RouteRequest{req, std::move(*target), std::move(params), after_write});
    }
    if (path_known)
        return error_response(http::status::method_not_allowed, "method_not_allowed",
                              fmt::format("{} is not allowed on {}", std::string(to_std(req.method_string())), target->path));
    if (fallback_ && method == http::verb::get) return run(fallback_, req, RouteRequest{req, std::move(*target), {}, after_write});
    return error_response(http::status::not_found, "not_found", fmt::format("no route for {}", target->path));
}

Response Router::run(const RouteHandler& handler, const Request& req, const RouteRequest& r) const {
    Response res;
    try {
        res = handler(r);
    } catch (const HttpError& e) {
        res = error_response(e.status, e.type, e.message);
    } catch (const weft::Error& e) {
        res = error_response(http::status::bad_request, e.type(), e.message(), e.details());
    } catch (const std::exception& e) {
        res = error_response(http::status::internal_server_error, "internal_error", e.what());
    }
    if (req.method() == http::verb::head) {
        res.body().clear();
        res.prepare_payload();
    }
    return res;
}

}  // namespace weft::server
