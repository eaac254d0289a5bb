// graph/parse_yaml.h — the API ("prompt") structure written in YAML.
//
//   "1":
//     class_type: EmptyImage
//     inputs: {width: 64, height: 64}
//   "2":
//     class_type: ImageInvert
//     inputs:
//       image: [1, 0]          # a link: [node id, output slot]
//     _meta: {title: Invert}
#pragma once

#include <weft/workflow.h>

#include <string_view>

namespace weft::graph {

/// Parses the YAML form of the API format: the same node map, validation and errors as the JSON
/// form; a 2-item sequence is a link [id, slot] (a plain-number id is taken as text), a list
/// constant is written {__value__: [...]}. Plain scalars are typed as YAML 1.2's core schema
/// (null, true/false, integers incl. 0x/0o, floats incl. .inf/.nan); quoted ones stay strings.
/// Errors are weft::Error(weft::ErrorCode::InvalidPrompt) whose details give the line and column.
Workflow parse_api_yaml(std::string_view text, std::string_view origin);

}  // namespace weft::graph
