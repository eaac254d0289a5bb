// graph/input_config.h — an input's declaration as ComfyUI writes it: ["INT", {opts}] or, for a
// combo, [[values...], {opts}]. Used by GET /object_info and by validation errors (input_config).
#pragma once

#include <weft/folders.h>
#include <weft/schema.h>
#include <weft/value.h>

namespace weft::graph {

/// The options dict: default/min/max/step/round/lazy/forceInput/rawLink/multiline/
/// control_after_generate/image_upload/tooltip/display, each only when set.
Dict input_options(const Input& in);
/// [type-or-values, options]. `values` are the current combo values (ignored for other types).
Value input_config(const Input& in, const std::vector<std::string>& values);
/// ComfyUI's hidden type name ("PROMPT", "DYNPROMPT", "EXTRA_PNGINFO", "UNIQUE_ID").
const char* hidden_type_name(Hidden h);

}  // namespace weft::graph
