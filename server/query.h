// server/query.h — splitting a request target into its decoded path and query parameters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace weft::server {

/// Percent-decodes `text` ('+' as a space when `plus_is_space`); nullopt when an escape is malformed.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space);

struct Target {
    std::string path;                          // decoded, without the query
    std::map<std::string, std::string> query;  // decoded; a repeated key keeps its last value
};

/// Parses "/view?filename=a%20b.png&type=output"; nullopt when the target is malformed.
std::optional<Target> parse_target(std::string_view target);

}  // namespace weft::server
