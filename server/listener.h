// server/listener.h — accepts connections and starts an HttpSession on its own strand for each.
#pragma once

#include "beast.h"

#include <memory>

namespace weft::server {

struct ServerState;

class Listener : public std::enable_shared_from_this<Listener> {
public:
    /// Binds and listens on `endpoint`; throws weft::Error naming the address when it cannot.
    Listener(net::io_context& ioc, tcp::endpoint endpoint, ServerState& state);
    void run();
    void close();
    uint16_t port() const { return port_; }

private:
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    ServerState& state_;
    uint16_t port_ = 0;
};

}  // namespace weft::server
