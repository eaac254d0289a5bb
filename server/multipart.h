// server/multipart.h — parsing multipart/form-data bodies (uploads).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace weft::server {

struct FormPart {
    std::string filename;      // empty for plain fields
    std::string content_type;
    std::string data;
};

/// The parts of `body` by field name (a repeated name keeps the first); nullopt when
/// `content_type` is not multipart/form-data with a boundary or the body is malformed.
std::optional<std::map<std::string, FormPart>> parse_multipart(std::string_view content_type, std::string_view body);

}  // namespace weft::server
