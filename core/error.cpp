// weft::Error: ComfyUI's error object plus the context (node, input, file) that makes it actionable.
#include <weft/error.h>

namespace weft {

Error::Error(std::string type, std::string message, std::string details)
    : std::runtime_error(message), info_{std::move(type), std::move(message), std::move(details), {}} {
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
