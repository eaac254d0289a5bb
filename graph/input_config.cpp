// Input declarations in ComfyUI's [type, {opts}] shape (see input_config.h).
#include "graph/input_config.h"

namespace weft::graph {

Dict input_options(const Input& in) {
    Dict o;
    if (in.default_value) o["default"] = *in.default_value;
    if (in.min_value) o["min"] = *in.min_value;
    if (in.max_value) o["max"] = *in.max_value;
    if (in.step_value) o["step"] = Value(*in.step_value);
    if (in.round_value) o["round"] = Value(*in.round_value);
    if (in.lazy) o["lazy"] = true;
    if (in.force_input) o["forceInput"] = true;
    if (in.raw_link) o["rawLink"] = true;
    if (in.multiline) o["multiline"] = true;
    if (in.control_after_generate) o["control_after_generate"] = true;
    if (in.image_upload) o["image_upload"] = true;
    if (!in.tooltip.empty()) o["tooltip"] = in.tooltip;
    if (!in.display.empty()) o["display"] = in.display;
    return o;
}

Value input_config(const Input& in, const std::vector<std::string>& values) {
    List cfg;
    if (in.is_combo()) {
        List vals;
        vals.reserve(values.size());
        for (const std::string& v : values) vals.emplace_back(v);
        cfg.emplace_back(std::move(vals));
    } else {
        cfg.emplace_back(in.type);
    }
    cfg.emplace_back(input_options(in));
    return Value(std::move(cfg));
}

const char* hidden_type_name(Hidden h) {
    switch (h) {
        case Hidden::Prompt: return "PROMPT";
        case Hidden::DynPrompt: return "DYNPROMPT";
        case Hidden::ExtraPngInfo: return "EXTRA_PNGINFO";
        case Hidden::UniqueId: return "UNIQUE_ID";
    }
    return "";
}

}  // namespace weft::graph
