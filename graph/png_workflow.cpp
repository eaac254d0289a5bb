// Workflows embedded in PNG text chunks (see png_workflow.h).
//
// The chunks are read by walking the PNG chunk list directly: text chunks may follow the image
// data, and decoding pixels only to reach them would be wasted work. zTXt/iTXt payloads are zlib
// streams (zlib comes with libpng).
#include "graph/png_workflow.h"

#include "graph/parse_api.h"
#include "graph/parse_ui.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cstdint>
#include <cstring>

namespace weft::graph {

namespace {

constexpr std::string_view kSignature = "\x89PNG\r\n\x1a\n";
constexpr size_t kMaxInflated = size_t{256} << 20;  // a workflow is text; refuse zip bombs

Error png_error(std::string_view origin, const std::string& what) {
    return std::move(Error("invalid_prompt", "Cannot read the workflow from PNG " + std::string(origin) + ": " + what)
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

std::vector<std::pair<std::string, std::string>> png_text_chunks(std::string_view bytes, std::string_view origin) {
    if (bytes.substr(0, kSignature.size()) != kSignature) throw png_error(origin, "not a PNG file");
    std::vector<std::pair<std::string, std::string>> out;
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
        if (type == "IEND") break;
        // "comf": the keyword\0text chunks ComfyUI's SaveAnimatedPNG writes after the image data.
        if (type != "tEXt" && type != "zTXt" && type != "iTXt" && type != "comf") continue;

        const size_t nul = data.find('\0');
        if (nul == std::string_view::npos) throw png_error(origin, "a " + std::string(type) + " chunk has no keyword");
        std::string keyword = latin1_to_utf8(data.substr(0, nul));
        std::string_view rest = data.substr(nul + 1);
        if (type == "tEXt" || type == "comf") {
            out.emplace_back(std::move(keyword), latin1_to_utf8(rest));
        } else if (type == "zTXt") {
            if (rest.empty()) throw png_error(origin, "the zTXt chunk '" + keyword + "' is truncated");
            out.emplace_back(keyword, latin1_to_utf8(inflate_all(rest.substr(1), origin, keyword)));
        } else {  // iTXt: flag, method, language\0, translated keyword\0, UTF-8 text
            if (rest.size() < 2) throw png_error(origin, "the iTXt chunk '" + keyword + "' is truncated");
            const bool compressed = rest[0] != 0;
            rest.remove_prefix(2);
            for (int skip = 0; skip < 2; ++skip) {
                size_t z = rest.find('\0');
                if (z == std::string_view::npos) throw png_error(origin, "the iTXt chunk '" + keyword + "' is truncated");
                rest.remove_prefix(z + 1);
            }
            out.emplace_back(keyword, compressed ? inflate_all(rest, origin, keyword) : std::string(rest));
        }
    }
    return out;
}

Workflow parse_png_workflow(std::string_view bytes, std::string_view origin, const NodeRegistry* registry) {
    const auto chunks = png_text_chunks(bytes, origin);
    const std::string* prompt = nullptr;
    const std::string* workflow = nullptr;
    for (const auto& [key, text] : chunks) {
        if (key == "prompt" && !prompt) prompt = &text;
        if (key == "workflow" && !workflow) workflow = &text;
    }
    auto parse_chunk = [&](const std::string& text, const char* key) {
        try {
            return nlohmann::json::parse(text);
        } catch (const nlohmann::json::parse_error& e) {
            throw png_error(origin, std::string("its '") + key + "' text chunk is not valid JSON: " + e.what());
        }
    };
    if (prompt) {
        nlohmann::json j = parse_chunk(*prompt, "prompt");
        if (!j.is_null()) return parse_api_json(j, origin);
    }
    if (workflow) {
        if (!registry)
            throw png_error(origin,
                            "it holds only a UI-format workflow, and converting that needs the node schemas; pass the node registry "
                            "(Workflow::load(path, registry))");
        return convert_ui_workflow(parse_chunk(*workflow, "workflow"), *registry, origin);
    }
    throw png_error(origin, "it has no 'prompt' or 'workflow' text chunk (was it saved with the workflow embedded?)");
}

}  // namespace weft::graph
