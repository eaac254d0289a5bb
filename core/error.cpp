// weft::Error: ComfyUI's error object plus the context (node, input, file) that makes it actionable.
#include <weft/error.h>

#include <array>

namespace weft {

namespace {

// Index = ErrorCode; the JSON names are ComfyUI's where ComfyUI has the kind.
constexpr std::array<std::string_view, size_t(ErrorCode::Interrupted) + 1> kNames = {
    "invalid_prompt", "prompt_no_outputs", "prompt_outputs_failed_validation", "missing_node_type",
    "required_input_missing", "invalid_input_type", "value_not_in_list", "value_smaller_than_min",
    "value_bigger_than_max", "return_type_mismatch", "exception_during_validation",
    "exception_during_inner_validation", "dependency_cycle", "custom_validation_failed", "invalid_input", "invalid_node_definition",
    "invalid_image", "invalid_video", "invalid_media", "invalid_model", "model_load_failed", "file_not_found", "invalid_file",
    "invalid_path", "invalid_json", "save_failed", "invalid_prefix", "tensor_error", "invalid_preview",
    "invalid_precision", "invalid_cache_options", "server_error", "server_queue_error", "internal_error",
    "interrupted",
};

}  // namespace

const char* error_code_name(ErrorCode code) {
    const size_t i = size_t(code);
    return i < kNames.size() ? kNames[i].data() : "internal_error";
}

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return ErrorCode(i);
    return std::nullopt;
}

Error::Error(ErrorCode code, std::string message, std::string details)
    : std::runtime_error(message), code_(code), info_{error_code_name(code), std::move(message), std::move(details), {}} {
    rebuild_what();
}

Error& Error::at_node(std::string node_id) {
    node_id_ = std::move(node_id);
    rebuild_what();
    return *this;
}

Error& Error::at_input(std::string input_name) {
    input_name_ = std::move(input_name);
    rebuild_what();
    return *this;
}

Error& Error::at_path(std::string path) {
    path_ = std::move(path);
    rebuild_what();
    return *this;
}

Error& Error::with_extra(const std::string& key, Value v) {
    info_.extra_info[key] = std::move(v);
    return *this;
}

// "type: message (details) [node 7, input image, file a.png]"
void Error::rebuild_what() {
    std::string s = info_.type;
    if (!info_.message.empty()) {
        if (!s.empty()) s += ": ";
        s += info_.message;
    }
    if (!info_.details.empty()) s += " (" + info_.details + ")";
    std::string ctx;
    auto add = [&](const char* label, const std::string& v) {
        if (v.empty()) return;
        if (!ctx.empty()) ctx += ", ";
        ctx += label;
        ctx += v;
    };
    add("node ", node_id_);
    add("input ", input_name_);
    add("file ", path_);
    if (!ctx.empty()) s += " [" + ctx + "]";
    what_ = std::move(s);
}

}  // namespace weft
