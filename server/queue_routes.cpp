// GET/POST /queue, POST /interrupt, POST /free.
#include "history_entry.h"
#include "http_response.h"
#include "request_body.h"
#include "server_state.h"

namespace weft::server {

using nlohmann::json;

namespace {

Response get_queue(ServerState& s) {
    json running = json::array(), pending = json::array();
    if (auto r = s.store.running()) running.push_back(queue_item(*r));
    for (const QueuedPrompt& q : s.store.pending()) pending.push_back(queue_item(q));
    return json_response(http::status::ok, json{{"queue_running", std::move(running)}, {"queue_pending", std::move(pending)}});
}

// {"clear": true} and/or {"delete": [ids]}: pending prompts only; the running one is untouched.
Response post_queue(ServerState& s, const RouteRequest& r) {
    const json body = json_body(r.raw);
    bool changed = false;
    if (auto c = body.find("clear"); c != body.end() && c->is_boolean() && c->get<bool>()) {
        s.store.clear_pending();
        changed = true;
    }
    if (auto d = body.find("delete"); d != body.end()) {
        if (!d->is_array()) throw HttpError{http::status::bad_request, "invalid_request", "delete must be a list of prompt ids"};
        for (const json& id : *d)
            if (id.is_string()) changed = s.store.remove_pending(id.get<std::string>()) || changed;
    }
    if (changed) s.worker.broadcast_status();
    return ok_response();
}

Response post_interrupt(ServerState& s, const RouteRequest& r) {
    const json body = json_body(r.raw, true);
    std::string prompt_id;
    if (auto p = body.find("prompt_id"); p != body.end() && p->is_string()) prompt_id = p->get<std::string>();
    s.worker.interrupt(prompt_id);  // a prompt_id that is not running: nothing to do
    return ok_response();
}

Response post_free(ServerState& s, const RouteRequest& r) {
    const json body = json_body(r.raw, true);
    auto flag = [&](const char* key) {
        auto it = body.find(key);
        return it != body.end() && it->is_boolean() && it->get<bool>();
    };
    s.worker.request_free(flag("unload_models"), flag("free_memory"));
    return ok_response();
}

}  // namespace

void add_queue_routes(ServerState& s) {
    s.router.add(http::verb::get, "/queue", [&s](const RouteRequest&) { return get_queue(s); });
    s.router.add(http::verb::post, "/queue", [&s](const RouteRequest& r) { return post_queue(s, r); });
    s.router.add(http::verb::post, "/interrupt", [&s](const RouteRequest& r) { return post_interrupt(s, r); });
    s.router.add(http::verb::post, "/free", [&s](const RouteRequest& r) { return post_free(s, r); });
}

}  // namespace weft::server
