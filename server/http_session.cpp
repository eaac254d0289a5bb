#include "http_session.h"

#include "http_response.h"
#include "origin_check.h"
#include "query.h"
#include "server_state.h"
#include "websocket_session.h"

#include <fmt/format.h>

#include <chrono>

namespace weft::server {

namespace {

constexpr auto kReadTimeout = std::chrono::seconds(60);

bool is_ws_path(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    return path == "/ws" || path == "/api/ws";
}

}  // namespace

HttpSession::HttpSession(tcp::socket&& socket, ServerState& state) : stream_(std::move(socket)), state_(state) {}

void HttpSession::run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this())); }

void HttpSession::do_read() {
    parser_.emplace();
    parser_->body_limit(state_.config.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(kReadTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit) return reject_too_large();
    if (ec == http::error::header_limit) {
        return send(error_response(http::status::request_header_fields_too_large, "request_too_large", "request headers too large"), true);
    }
    if (ec == beast::error::timeout || ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof)
        return do_close();
    if (ec) return send(error_response(http::status::bad_request, "invalid_request", fmt::format("malformed request: {}", ec.message())), true);

    Request& req = parser_->get();
    if (!origin_allowed(req))
        return send(error_response(http::status::forbidden, "forbidden_origin", "cross-origin requests to a loopback server are refused"), true);
    if (websocket::is_upgrade(req) && is_ws_path(to_std(req.target()))) {
        std::make_shared<WebSocketSession>(stream_.release_socket(), state_)->run(parser_->release());
        return;
    }
    Response res = state_.router.handle(req, &after_write_);
    res.version(req.version());
    const bool close = !req.keep_alive();
    res.keep_alive(!close);
    send(std::move(res), close);
}

void HttpSession::send(Response res, bool close) {
    if (close) res.keep_alive(false);
    response_ = std::make_shared<Response>(std::move(res));
    stream_.expires_after(kReadTimeout);
    http::async_write(stream_, *response_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), close));
}

void HttpSession::on_write(bool close, beast::error_code ec, size_t) {
    response_.reset();
    if (after_write_) std::exchange(after_write_, nullptr)();
    if (ec) return do_close();
    if (close) return drain();
    do_read();
}

void HttpSession::reject_too_large() {
    send(error_response(http::status::payload_too_large, "request_too_large",
                        fmt::format("the request body exceeds the limit of {} bytes", state_.config.max_body_bytes)),
         true);
}

// After answering with Connection: close, shut our side and read what the client still sends
// (the rest of an oversized body) until it closes: closing with unread data would reset the
// connection and could destroy the response before the client reads it.
void HttpSession::drain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(10));
    stream_.async_read_some(net::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->do_close();
        self->drain();
    });
}

void HttpSession::do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
}

}  // namespace weft::server
