// The PNG text chunk reader and json_ascii (see png_text.h). zTXt/iTXt payloads are zlib streams
// (zlib comes with libpng).
#include "media/png_text.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>

namespace weft::media {

namespace {

constexpr std::string_view kSignature = "\x89PNG\r\n\x1a\n";
constexpr size_t kMaxInflated = size_t{256} << 20;  // a workflow is text; refuse zip bombs

Error png_error(std::string_view origin, const std::string& what) {
    return std::move(Error(ErrorCode::InvalidImage, "Cannot read the text chunks of PNG " + std::string(origin) + ": " + what)
                         .at_path(std::string(origin)));
}

uint32_t be32(const unsigned char* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string inflate_all(std::string_view data, std::string_view origin, const std::string& keyword) {
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) throw png_error(origin, "zlib initialisation failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buf[1 << 15];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            throw png_error(origin, "the compressed text chunk '" + keyword + "' is corrupt");
        }
        out.append(buf, sizeof buf - zs.avail_out);
        if (out.size() > kMaxInflated) {
            inflateEnd(&zs);
            throw png_error(origin, "the text chunk '" + keyword + "' is too large");
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {  // input ended before the stream did
            inflateEnd(&zs);
            throw png_error(origin, "the compressed text chunk '" + keyword + "' is truncated");
        }
    }
    inflateEnd(&zs);
    return out;
}

// tEXt/zTXt text is Latin-1.
std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

}  // namespace

std::vector<PngText> read_png_texts(std::string_view bytes, std::string_view origin) {
    if (bytes.substr(0, kSignature.size()) != kSignature) throw png_error(origin, "not a PNG file");
    std::vector<PngText> out;
    size_t pos = kSignature.size();
    const auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
    while (pos + 8 <= bytes.size()) {
        const uint32_t length = be32(base + pos);
        const std::string_view type = bytes.substr(pos + 4, 4);
        const size_t data_at = pos + 8;
        if (length > bytes.size() || data_at + length + 4 > bytes.size())
            throw png_error(origin, "chunk '" + std::string(type) + "' is truncated");
        const std::string_view data = bytes.substr(data_at, length);
        pos = data_at + length + 4;  // skip the CRC
        if (type == "IEND") return out;
        // "comf": the keyword\0text chunks ComfyUI's SaveAnimatedPNG writes after the image data.
        if (type != "tEXt" && type != "zTXt" && type != "iTXt" && type != "comf") continue;

        const size_t nul = data.find('\0');
        if (nul == std::string_view::npos) throw png_error(origin, "a " + std::string(type) + " chunk has no keyword");
        std::string keyword = latin1_to_utf8(data.substr(0, nul));
        std::string_view rest = data.substr(nul + 1);
        if (type == "tEXt" || type == "comf") {
            out.push_back({std::move(keyword), latin1_to_utf8(rest)});
        } else if (type == "zTXt") {
            if (rest.empty()) throw png_error(origin, "the zTXt chunk '" + keyword + "' is truncated");
            out.push_back({keyword, latin1_to_utf8(inflate_all(rest.substr(1), origin, keyword))});
        } else {  // iTXt: flag, method, language\0, translated keyword\0, UTF-8 text
            if (rest.size() < 2) throw png_error(origin, "the iTXt chunk '" + keyword + "' is truncated");
            const bool compressed = rest[0] != 0;
            rest.remove_prefix(2);
            for (int skip = 0; skip < 2; ++skip) {
                size_t z = rest.find('\0');
                if (z == std::string_view::npos) throw png_error(origin, "the iTXt chunk '" + keyword + "' is truncated");
                rest.remove_prefix(z + 1);
            }
            out.push_back({keyword, compressed ? inflate_all(rest, origin, keyword) : std::string(rest)});
        }
    }
    // Bytes left that cannot hold a chunk header: the file was cut inside one.
    if (pos != bytes.size()) throw png_error(origin, "the file ends inside a chunk header (truncated)");
    return out;
}

std::string json_ascii(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    auto escape = [&](uint32_t cp) { out += fmt::format("\\u{:04x}", cp); };
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += char(c);
            ++i;
            continue;
        }
        int len = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
        uint32_t cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0Fu : c & 0x1Fu;
        bool valid = len > 0 && i + size_t(len) <= s.size();
        for (int k = 1; valid && k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + size_t(k)]);
            if ((cc & 0xC0) != 0x80) valid = false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (valid && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                      (cp >= 0xD800 && cp <= 0xDFFF)))
            valid = false;
        if (!valid) {
            escape(0xFFFD);
            ++i;
            continue;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            escape(0xD800 + (cp >> 10));
            escape(0xDC00 + (cp & 0x3FF));
        } else {
            escape(cp);
        }
        i += size_t(len);
    }
    return out;
}

}  // namespace weft::media
