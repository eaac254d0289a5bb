// graph/coerce.h — ComfyUI's conversion of constant inputs: Python int()/float()/str()/bool() for
// INT/FLOAT/STRING/BOOLEAN inputs, with Python's error texts.
#pragma once

#include <weft/value.h>

#include <optional>
#include <string>
#include <string_view>

namespace weft::graph {

struct Coerced {
    Value value;
    std::optional<std::string> error;  // Python's exception message when the conversion fails
};

/// Converts `v` for an input declared as `type`; other types pass unchanged.
///  INT: bool -> 0/1, float truncated toward zero (NaN/inf fail), decimal strings with optional
///       sign, surrounding whitespace and single '_' between digits; values must fit int64 or
///       uint64 (Python's ints are unbounded: larger values fail here).
///  FLOAT: numbers, decimal/exponent strings, "inf"/"nan"/"infinity" (any case, signed).
///  STRING: Python str() (True, 1.0, [1, 2], {'a': 1}, None).
///  BOOLEAN: Python truthiness: non-empty strings (even "false") are true; 0, 0.0, "", [], {}, None false.
Coerced coerce_constant(const Value& v, std::string_view type);

/// Exact numeric comparison (-1, 0, 1) of INT/FLOAT values, as Python compares int with float;
/// nullopt when either is not a number or one is NaN.
std::optional<int> compare_numbers(const Value& a, const Value& b);

}  // namespace weft::graph
