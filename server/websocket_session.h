// server/websocket_session.h — one WebSocket client (/ws?clientId=...): a strand, a write queue,
// and a read loop that answers the client's feature_flags message.
#pragma once

#include "beast.h"
#include "client_registry.h"

#include <atomic>
#include <deque>
#include <memory>
#include <string>

namespace weft::server {

struct ServerState;

class WebSocketSession : public WsClient, public std::enable_shared_from_this<WebSocketSession> {
public:
    WebSocketSession(tcp::socket&& socket, ServerState& state);
    /// Accepts the upgrade request `req` and starts reading.
    void run(Request req);

    void send(std::shared_ptr<const std::string> frame, bool binary, bool droppable) override;
    bool preview_metadata() const override { return preview_metadata_.load(); }

private:
    struct Frame {
        std::shared_ptr<const std::string> data;
        bool binary;
        bool droppable;
    };
    void on_accept(beast::error_code ec);
    void do_read();
    void on_read(beast::error_code ec, size_t bytes);
    void do_write();
    void on_write(beast::error_code ec, size_t bytes);
    void handle_message(const std::string& text);
    void close();

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    ServerState& state_;
    std::string sid_;
    std::deque<Frame> queue_;  // touched only on the strand
    bool first_message_ = true;
    bool closed_ = false;
    std::atomic<bool> preview_metadata_{false};
};

}  // namespace weft::server
