// server/http_response.h — building the server's responses: JSON bodies and ComfyUI's error shape.
#pragma once

#include "beast.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace weft::server {

/// A response with `body` as its JSON body.
Response json_response(http::status status, const nlohmann::ordered_json& body);
Response json_response(http::status status, const nlohmann::json& body);
/// A response with a raw JSON text body (already serialised).
Response json_text_response(http::status status, std::string body);
/// {"error": {"type", "message", "details", "extra_info": {}}, "node_errors": {}}: the shape
/// ComfyUI's clients read from a rejected request.
Response error_response(http::status status, std::string_view type, std::string_view message, std::string_view details = {});
/// An empty 200 (ComfyUI answers POST /queue, /history, /interrupt, /free this way).
Response ok_response();

/// Thrown by route handlers to answer with error_response(status, type, message).
struct HttpError {
    http::status status;
    std::string type;
    std::string message;
};

}  // namespace weft::server
