#include "multipart.h"

#include <algorithm>
#include <cctype>

namespace weft::server {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The value of `key=` in a header like `form-data; name="image"; filename="a.png"`.
std::optional<std::string> header_param(std::string_view header, std::string_view key) {
    size_t pos = 0;
    while ((pos = header.find(';', pos)) != std::string_view::npos) {
        ++pos;
        std::string_view rest = trim(header.substr(pos));
        if (rest.size() <= key.size() || lower(rest.substr(0, key.size())) != key || rest[key.size()] != '=') continue;
        rest.remove_prefix(key.size() + 1);
        if (!rest.empty() && rest.front() == '"') {
            std::string value;
            for (size_t i = 1; i < rest.size(); ++i) {
                if (rest[i] == '\\' && i + 1 < rest.size()) value.push_back(rest[++i]);
                else if (rest[i] == '"') return value;
                else value.push_back(rest[i]);
            }
            return std::nullopt;
        }
        return std::string(trim(rest.substr(0, rest.find(';'))));
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::map<std::string, FormPart>> parse_multipart(std::string_view content_type, std::string_view body) {
    if (lower(trim(content_type.substr(0, content_type.find(';')))) != "multipart/form-data") return std::nullopt;
    const auto boundary = header_param(content_type, "boundary");
    if (!boundary || boundary->empty()) return std::nullopt;
    const std::string delimiter = "--" + *boundary;

    std::map<std::string, FormPart> parts;
    size_t pos = body.find(delimiter);
    if (pos == std::string_view::npos) return std::nullopt;
    while (true) {
        pos += delimiter.size();
        if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
        if (body.substr(pos, 2) != "\r\n") return std::nullopt;
        pos += 2;
        const size_t header_end = body.find("\r\n\r\n", pos);
        if (header_end == std::string_view::npos) return std::nullopt;
        std::string name;
        FormPart part;
        bool has_name = false;
        std::string_view headers = body.substr(pos, header_end - pos);
        while (!headers.empty()) {
            const size_t eol = headers.find("\r\n");
            const std::string_view line = headers.substr(0, eol);
            headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
            const size_t colon = line.find(':');
            if (colon == std::string_view::npos) continue;
            const std::string key = lower(trim(line.substr(0, colon)));
            const std::string_view value = trim(line.substr(colon + 1));
            if (key == "content-disposition") {
                if (auto n = header_param(value, "name")) {
                    name = *n;
                    has_name = true;
                }
                if (auto f = header_param(value, "filename")) part.filename = *f;
            } else if (key == "content-type") {
                part.content_type = std::string(value);
            }
        }
        const size_t data_start = header_end + 4;
        const size_t next = body.find("\r\n" + delimiter, data_start);
        if (next == std::string_view::npos) return std::nullopt;
        part.data = std::string(body.substr(data_start, next - data_start));
        if (has_name) parts.emplace(std::move(name), std::move(part));
        pos = next + 2;
    }
}

}  // namespace weft::server
