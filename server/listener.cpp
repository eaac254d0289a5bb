#include "listener.h"

#include "http_session.h"
#include "server_state.h"

#include <weft/error.h>

#include <fmt/format.h>

namespace weft::server {

Listener::Listener(net::io_context& ioc, tcp::endpoint endpoint, ServerState& state)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), state_(state) {
    beast::error_code ec;
    auto fail = [&](const char* what) {
        throw Error(ErrorCode::ServerError, fmt::format("cannot {} {}:{}: {}", what, endpoint.address().to_string(), endpoint.port(), ec.message()));
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) fail("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) fail("configure");
    acceptor_.bind(endpoint, ec);
    if (ec) fail("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) fail("listen on");
    port_ = acceptor_.local_endpoint().port();
}

void Listener::run() { net::dispatch(acceptor_.get_executor(), beast::bind_front_handler(&Listener::do_accept, shared_from_this())); }

void Listener::close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        beast::error_code ec;
        self->acceptor_.close(ec);
    });
}

void Listener::do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<HttpSession>(std::move(socket), state_)->run();
    do_accept();  // a failed accept (e.g. too many open files) must not stop the server
}

}  // namespace weft::server
