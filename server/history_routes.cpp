// GET /history, GET /history/{prompt_id}, POST /history.
#include "http_response.h"
#include "request_body.h"
#include "server_state.h"

#include <charconv>

namespace weft::server {

using nlohmann::json;

namespace {

std::optional<int64_t> int_query(const RouteRequest& r, const std::string& key) {
    if (!r.has_query(key)) return std::nullopt;
    const std::string v = r.query(key);
    int64_t out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || end != v.data() + v.size())
        throw HttpError{http::status::bad_request, "invalid_request", key + " must be an integer"};
    return out;
}

Response get_history(ServerState& s, const RouteRequest& r) {
    const std::optional<int64_t> max_items = int_query(r, "max_items");
    const int64_t offset = int_query(r, "offset").value_or(-1);
    return json_response(http::status::ok, s.store.history_ordered(max_items, offset));  // oldest first, as ComfyUI
}

Response get_history_entry(ServerState& s, const RouteRequest& r) {
    const std::string& id = r.param(0);
    json out = json::object();
    if (auto entry = s.store.history_entry(id)) out[id] = std::move(*entry);
    return json_response(http::status::ok, out);
}

Response post_history(ServerState& s, const RouteRequest& r) {
    const json body = json_body(r.raw);
    if (auto c = body.find("clear"); c != body.end() && c->is_boolean() && c->get<bool>()) s.store.clear_history();
    if (auto d = body.find("delete"); d != body.end()) {
        if (!d->is_array()) throw HttpError{http::status::bad_request, "invalid_request", "delete must be a list of prompt ids"};
        std::vector<std::string> ids;
        for (const json& id : *d)
            if (id.is_string()) ids.push_back(id.get<std::string>());
        s.store.delete_history(ids);
    }
    return ok_response();
}

}  // namespace

void add_history_routes(ServerState& s) {
    s.router.add(http::verb::get, "/history", [&s](const RouteRequest& r) { return get_history(s, r); });
    s.router.add(http::verb::get, "/history/{prompt_id}", [&s](const RouteRequest& r) { return get_history_entry(s, r); });
    s.router.add(http::verb::post, "/history", [&s](const RouteRequest& r) { return post_history(s, r); });
}

}  // namespace weft::server
