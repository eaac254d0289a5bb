// runtime/session_names.cpp — the session's name tables and parsers: run status names, cache options.
#include <weft/error.h>
#include <weft/session.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace weft {

const char* run_status_name(RunStatus s) {
    switch (s) {
        case RunStatus::Success: return "success";
        case RunStatus::Partial: return "partial_success";
        case RunStatus::Error: return "error";
        case RunStatus::Interrupted: return "interrupted";
        case RunStatus::Invalid: return "invalid";
    }
    return "unknown";
}

namespace {

[[noreturn]] void bad_cache_option(std::string_view text, const std::string& why) {
    throw Error(ErrorCode::InvalidCacheOptions, "Invalid cache option '" + std::string(text) + "'",
                why + "; expected classic, lru:N, ram:BYTES (K/M/G suffixes) or none");
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

CacheOptions CacheOptions::parse(std::string_view text) {
    std::string t = lower(text);
    CacheOptions o;
    if (t == "classic") return o;
    if (t == "none") {
        o.mode = Mode::None;
        return o;
    }
    size_t colon = t.find(':');
    std::string head = t.substr(0, colon);
    if (colon == std::string::npos || (head != "lru" && head != "ram")) bad_cache_option(text, "unknown mode");
    std::string arg = t.substr(colon + 1);
    if (head == "lru") {
        size_t n = 0;
        auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
        if (ec != std::errc() || p != arg.data() + arg.size() || n == 0) bad_cache_option(text, "lru needs a positive entry count");
        o.mode = Mode::Lru;
        o.lru_entries = n;
        return o;
    }
    // ram:BYTES with an optional binary suffix: 512M, 2G, 1.5g, 4096, 8GB, 8GiB.
    size_t end = arg.size();
    if (end >= 3 && arg.compare(end - 2, 2, "ib") == 0) end -= 2;  // "GiB" -> "G"
    else if (end >= 2 && arg[end - 1] == 'b' && std::isalpha(static_cast<unsigned char>(arg[end - 2]))) end -= 1;  // "GB" -> "G"
    double mult = 1;
    if (end > 0) {
        switch (arg[end - 1]) {
            case 'k': mult = 1024.0; --end; break;
            case 'm': mult = 1024.0 * 1024; --end; break;
            case 'g': mult = 1024.0 * 1024 * 1024; --end; break;
            case 't': mult = 1024.0 * 1024 * 1024 * 1024; --end; break;
            default: break;
        }
    }
    double v = 0;
    auto [p, ec] = std::from_chars(arg.data(), arg.data() + end, v);
    if (end == 0 || ec != std::errc() || p != arg.data() + end || !(v > 0) || !std::isfinite(v))
        bad_cache_option(text, "ram needs a positive size");
    o.mode = Mode::Ram;
    o.ram_bytes = static_cast<size_t>(v * mult);
    return o;
}

}  // namespace weft
