#include "http_response.h"

namespace weft::server {

namespace {

Response make(http::status status, std::string body, std::string_view content_type) {
    Response res{status, 11};
    res.set(http::field::server, "weft");
    res.set(http::field::content_type, std::string(content_type));
    res.set(http::field::cache_control, "no-cache");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

}  // namespace

Response json_text_response(http::status status, std::string body) {
    return make(status, std::move(body), "application/json; charset=utf-8");
}

Response json_response(http::status status, const nlohmann::ordered_json& body) {
    return json_text_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response json_response(http::status status, const nlohmann::json& body) {
    return json_text_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response error_response(http::status status, std::string_view type, std::string_view message, std::string_view details) {
    nlohmann::ordered_json error = {{"type", type}, {"message", message}, {"details", details}, {"extra_info", nlohmann::ordered_json::object()}};
    return json_response(status, nlohmann::ordered_json{{"error", std::move(error)}, {"node_errors", nlohmann::ordered_json::object()}});
}

Response ok_response() { return json_text_response(http::status::ok, "{}"); }

}  // namespace weft::server
