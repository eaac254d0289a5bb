// server/http_session.h — one HTTP connection: reads requests (with the body limit), answers them
// through the router, and hands /ws upgrades to a WebSocketSession.
#pragma once

#include "beast.h"

#include <functional>
#include <memory>
#include <optional>

namespace weft::server {

struct ServerState;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket&& socket, ServerState& state);
    void run();

private:
    void do_read();
    void on_read(beast::error_code ec, size_t bytes);
    void send(Response res, bool close);
    void on_write(bool close, beast::error_code ec, size_t bytes);
    void reject_too_large();
    void drain();
    void do_close();

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    ServerState& state_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<Response> response_;
    std::function<void()> after_write_;  // set by a route, run once its response is written
    std::array<char, 8192> drain_buffer_{};
};

}  // namespace weft::server
