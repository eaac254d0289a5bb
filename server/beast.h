// server/beast.h — the one place the server includes Boost.Asio and Boost.Beast.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>, which GCC 12 in
// C++20 mode rejects; <utility> must come first, so every server file includes Beast through here.
#pragma once

#include <utility>

#include <string_view>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace weft::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

/// Beast 1.74 uses boost::string_view; the server's own code uses std::string_view.
inline std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace weft::server
