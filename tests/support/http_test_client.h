// tests/support/http_test_client.h — a blocking HTTP/1.1 client for the server tests: one request
// per connection to a loopback port.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace weft::testing {

struct HttpReply {
    int status = 0;
    std::string body;
    std::string content_type;

    /// The body as JSON; throws std::runtime_error with the body when it is not JSON.
    nlohmann::json json() const;
};

/// Sends `method target` to 127.0.0.1:`port`; throws std::runtime_error when it cannot connect or
/// the connection breaks. `timeout_ms` bounds the whole exchange.
HttpReply http_request(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {}, int timeout_ms = 10000);
inline HttpReply http_get(uint16_t port, const std::string& target) { return http_request(port, "GET", target); }
inline HttpReply http_post_json(uint16_t port, const std::string& target, const nlohmann::json& body) {
    return http_request(port, "POST", target, body.dump());
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
uint16_t free_loopback_port();

}  // namespace weft::testing
