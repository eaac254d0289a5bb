// graph/json_text.h — JSON text -> nlohmann::ordered_json in time linear in the text.
//
// nlohmann's own parser inserts every object member through ordered_map::operator[], a linear
// search of the members before it, so an object of N members (an API workflow of N nodes, a node
// with N inputs) takes O(N^2). This parser builds the same tree through the SAX interface with a
// hash index on big objects; a repeated key keeps its first position and takes its last value,
// as nlohmann's parser does. Iterative (nlohmann's SAX driver keeps its own stack).
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace weft::graph {

/// Parses `text`; throws nlohmann::ordered_json::parse_error as nlohmann's parse() does.
nlohmann::ordered_json parse_ordered_json(std::string_view text);

}  // namespace weft::graph
