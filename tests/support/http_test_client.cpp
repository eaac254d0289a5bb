#include "http_test_client.h"

#include <utility>   // before Boost.Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace weft::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

nlohmann::json HttpReply::json() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded())
        throw std::runtime_error("HTTP " + std::to_string(status) + " body is not JSON: " + body.substr(0, 500));
    return j;
}

HttpReply http_request(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, int timeout_ms) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    beast::error_code ec;
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + ec.message());

    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::connection, "close");
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req, ec);
    if (ec) throw std::runtime_error(method + " " + target + ": write failed: " + ec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t(1) << 30);
    http::read(stream, buffer, parser, ec);
    if (ec) throw std::runtime_error(method + " " + target + ": read failed: " + ec.message());
    auto& res = parser.get();
    HttpReply r;
    r.status = static_cast<int>(res.result_int());
    r.body = std::move(res.body());
    r.content_type = std::string(res[http::field::content_type]);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return r;
}

uint16_t free_loopback_port() {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

}  // namespace weft::testing
