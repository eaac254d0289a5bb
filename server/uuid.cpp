#include "uuid.h"

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

namespace weft::server {

namespace {

std::array<uint8_t, 16> random_bytes() {
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}()};
    std::lock_guard lock(mutex);
    std::array<uint8_t, 16> b{};
    for (size_t i = 0; i < b.size(); i += 8) {
        const uint64_t v = rng();
        for (size_t k = 0; k < 8; ++k) b[i + k] = static_cast<uint8_t>(v >> (8 * k));
    }
    b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return b;
}

std::string format(bool dashes) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto b = random_bytes();
    std::string s;
    for (size_t i = 0; i < b.size(); ++i) {
        if (dashes && (i == 4 || i == 6 || i == 8 || i == 10)) s.push_back('-');
        s.push_back(kHex[b[i] >> 4]);
        s.push_back(kHex[b[i] & 15]);
    }
    return s;
}

}  // namespace

std::string random_uuid() { return format(true); }
std::string random_uuid_hex() { return format(false); }

}  // namespace weft::server
