// Input / NodeSchema queries and ComfyUI's link type check.
#include <weft/folders.h>
#include <weft/schema.h>

#include <algorithm>

namespace weft {

bool Input::is_widget() const {
    if (section == Section::Hidden || force_input) return false;
    return type == "INT" || type == "FLOAT" || type == "STRING" || type == "BOOLEAN" || type == "COMBO";
}

std::vector<std::string> Input::combo_values(const Folders& folders) const {
    if (options_provider) return options_provider(folders);
    return options;
}

const Input* NodeSchema::find_input(std::string_view name) const {
    for (const Input& in : inputs_)
        if (in.name == name) return &in;
    return nullptr;
}

bool NodeSchema::has_hidden(Hidden kind) const {
    return std::any_of(inputs_.begin(), inputs_.end(),
                       [&](const Input& in) { return in.section == Input::Section::Hidden && in.hidden_kind == kind; });
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_types(std::string_view s) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        size_t comma = s.find(',', start);
        std::string_view part = trim(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (!part.empty()) out.push_back(part);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

}  // namespace

// Non-strict matching as ComfyUI's validate_node_input: equal; the wildcard "*" (as a whole type
// or as a member of a set) on either side; otherwise the comma-separated sets must overlap.
bool types_compatible(std::string_view received, std::string_view declared) {
    if (received == declared) return true;
    auto r = split_types(received), d = split_types(declared);
    auto has_star = [](const std::vector<std::string_view>& v) { return std::find(v.begin(), v.end(), "*") != v.end(); };
    if (has_star(r) || has_star(d)) return true;
    for (std::string_view a : r)
        if (std::find(d.begin(), d.end(), a) != d.end()) return true;
    return false;
}

}  // namespace weft
