// core/py_format.h — Python's str()/repr() of JSON-like values, so that validation messages read
// exactly like ComfyUI's ("Value 5.0 smaller than min of 10", "'foo' not in ['a', 'b']").
#pragma once

#include <weft/value.h>

#include <string>

namespace weft::graph {

/// repr(float): shortest round-trip digits; fixed notation for 1e-4 <= |x| < 1e16, else 1e+16.
std::string python_float_repr(double d);
/// str(v): strings unquoted, everything else as repr.
std::string python_str(const Value& v);
/// repr(v): strings quoted ('a', "it's"), lists [..], dicts {'k': v}, links as ['id', slot].
std::string python_repr(const Value& v);
/// Python's type name of a value for TypeError messages ('list', 'dict', 'NoneType', ...).
std::string python_type_name(const Value& v);

}  // namespace weft::graph
