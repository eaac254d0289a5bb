// blocks/text/prompt_weights.h — ComfyUI's prompt emphasis syntax (sd-models.md §3.3):
//   (text)      weight x 1.1 per nesting level
//   (text:1.5)  weight replaced by 1.5 (the last ':' with a parseable number)
//   \( \)       literal parentheses
//   [text]      no meaning (literal text)
//
//   auto segs = weft::models::parse_prompt_weights("a (red:1.3) car");
//   // {"a ", 1.0}, {"red", 1.3}, {" car", 1.0}
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::models {

struct WeightedSegment {
    std::string text;
    double weight = 1.0;
};

/// Splits `prompt` into segments with their weights, escapes already resolved.
std::vector<WeightedSegment> parse_prompt_weights(std::string_view prompt, double base_weight = 1.0);

}  // namespace weft::models
