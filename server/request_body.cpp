#include "request_body.h"

#include "http_response.h"

namespace weft::server {

nlohmann::json json_body(const Request& req, bool empty_ok) {
    const std::string& body = req.body();
    if (empty_ok && body.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) throw HttpError{http::status::bad_request, "invalid_json", "the request body is not valid JSON"};
    if (!j.is_object()) throw HttpError{http::status::bad_request, "invalid_json", "the request body must be a JSON object"};
    return j;
}

}  // namespace weft::server
