// server/router.h — the route table: method + path pattern -> handler, every route also under /api.
//
//   router.add(http::verb::get, "/history/{prompt_id}", [&](const RouteRequest& r) { ... r.param(0) ... });
//
// Thread safety: add() before serving; handle() is then safe from any thread.
#pragma once

#include "beast.h"
#include "query.h"

#include <functional>
#include <string>
#include <vector>

namespace weft::server {

/// What a handler sees: the raw request, its decoded path and query, and the `{name}` segments.
struct RouteRequest {
    const Request& raw;
    Target target;
    std::vector<std::string> params;
    /// Set by a handler to run once the response has been written (or failed to be): e.g. a queued
    /// prompt is released to the worker only after its client has read the prompt id.
    std::function<void()>* after_write = nullptr;

    const std::string& param(size_t i) const { return params.at(i); }
    /// The query parameter, or `fallback` when absent.
    std::string query(const std::string& key, const std::string& fallback = {}) const;
    bool has_query(const std::string& key) const { return target.query.count(key) != 0; }
};

using RouteHandler = std::function<Response(const RouteRequest&)>;

class Router {
public:
    /// `pattern` is a path whose segments are literals or `{name}` (one whole segment each).
    void add(http::verb method, std::string pattern, RouteHandler handler);
    /// Answers `req`: the matching handler's response, 404 for an unknown path, 405 for a known path
    /// with another method, 400 for a malformed target; HttpError and exceptions become JSON errors.
    Response handle(const Request& req, std::function<void()>* after_write = nullptr) const;
    /// Answers GET requests that match no route (static front-end files); it may throw HttpError.
    void set_fallback(RouteHandler handler) { fallback_ = std::move(handler); }

private:
    struct Route {
        http::verb method;
        std::vector<std::string> segments;
        RouteHandler handler;
    };
    Response run(const RouteHandler& handler, const Request& req, const RouteRequest& r) const;
    std::vector<Route> routes_;
    RouteHandler fallback_;
};

/// Splits "/a/b/c" into {"a", "b", "c"} (empty segments kept, so "/a//b" does not match "/a/b").
std::vector<std::string> split_path(std::string_view path);

}  // namespace weft::server
