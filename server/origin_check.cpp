#include "origin_check.h"

#include <string>

namespace weft::server {

namespace {

// "host:port" -> "host" (keeping "[::1]" whole).
std::string_view host_part(std::string_view host_port) {
    if (!host_port.empty() && host_port.front() == '[') return host_port.substr(0, host_port.find(']') + 1);
    return host_port.substr(0, host_port.find(':'));
}

bool is_loopback(std::string_view host) {
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

}  // namespace

bool origin_allowed(const Request& req) {
    const std::string_view origin = to_std(req[http::field::origin]);
    if (origin.empty()) return true;
    const std::string_view host = to_std(req[http::field::host]);
    if (!is_loopback(host_part(host))) return true;  // not a loopback server: nothing to protect here
    std::string_view o = origin;
    const size_t scheme = o.find("://");
    if (scheme == std::string_view::npos) return false;  // "null" and other opaque origins
    o.remove_prefix(scheme + 3);
    if (o == host) return true;
    // Default ports may be omitted on either side.
    return host_part(o) == host_part(host) && (o.find(':') == std::string_view::npos || host.find(':') == std::string_view::npos);
}

}  // namespace weft::server
