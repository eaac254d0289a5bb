#include "nodes/output_path.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace weft::nodes {

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
}

// An absolute, lexically normal folder path without a trailing separator, so prefix checks and
// joins behave the same whatever form the caller gave.
fs::path normal_base(const fs::path& base) {
    fs::path p = fs::absolute(base).lexically_normal();
    if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
    return p;
}

bool escapes(const std::string& normalized) {
    return normalized.starts_with('/') || normalized == ".." || normalized.starts_with("../");
}

}  // namespace

std::string expand_prefix_tokens(std::string prefix, int64_t width, int64_t height, const std::tm& now) {
    if (prefix.find('%') == std::string::npos) return prefix;
    replace_all(prefix, "%width%", std::to_string(width));
    replace_all(prefix, "%height%", std::to_string(height));
    replace_all(prefix, "%year%", std::to_string(now.tm_year + 1900));
    replace_all(prefix, "%month%", fmt::format("{:02}", now.tm_mon + 1));
    replace_all(prefix, "%day%", fmt::format("{:02}", now.tm_mday));
    replace_all(prefix, "%hour%", fmt::format("{:02}", now.tm_hour));
    replace_all(prefix, "%minute%", fmt::format("{:02}", now.tm_min));
    replace_all(prefix, "%second%", fmt::format("{:02}", now.tm_sec));
    return prefix;
}

std::string normalize_relative(std::string_view path) {
    const bool absolute = path.starts_with('/');
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view part = path.substr(start, end - start);
        if (part.empty() || part == ".") {
        } else if (part == "..") {
            if (!parts.empty() && parts.back() != "..") parts.pop_back();
            else if (!absolute) parts.push_back(part);  // "/.." is "/"
        } else {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string out = absolute ? "/" : "";
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) out += '/';
        out += parts[i];
    }
    return out;
}

int64_t next_file_counter(const fs::path& folder, std::string_view filename) {
    int64_t highest = 0;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        // "<filename>_<digits>_..." — the digits run up to the next '_' (or the end).
        if (name.size() <= filename.size() || !name.starts_with(filename) || name[filename.size()] != '_') continue;
        std::string_view rest = std::string_view(name).substr(filename.size() + 1);
        rest = rest.substr(0, rest.find('_'));
        int64_t n = 0;
        auto [ptr, err] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
        if (err != std::errc() || ptr != rest.data() + rest.size() || rest.empty()) n = 0;
        highest = std::max(highest, n);
    }
    return highest + 1;
}

SavePath resolve_save_path(std::string_view prefix, const fs::path& base_dir, int64_t width, int64_t height) {
    std::time_t t = std::time(nullptr);
    std::tm now{};
    localtime_r(&t, &now);
    const std::string expanded = expand_prefix_tokens(std::string(prefix), width, height, now);
    const std::string norm = normalize_relative(expanded);
    if (escapes(norm))
        throw Error(ErrorCode::InvalidPrefix,
                    fmt::format("Saving outside the folder is not allowed: filename prefix '{}' leaves '{}'",
                                std::string(prefix), base_dir.string()))
            .at_path(base_dir.string());

    SavePath out;
    const size_t slash = norm.rfind('/');
    out.subfolder = slash == std::string::npos ? "" : norm.substr(0, slash);
    out.filename = slash == std::string::npos ? norm : norm.substr(slash + 1);
    if (out.filename.empty())
        throw Error(ErrorCode::InvalidPrefix, fmt::format("The filename prefix '{}' names no file", std::string(prefix)));

    out.folder = normal_base(base_dir);
    if (!out.subfolder.empty()) out.folder /= out.subfolder;
    std::error_code ec;
    fs::create_directories(out.folder, ec);
    if (ec)
        throw Error(ErrorCode::SaveFailed, fmt::format("Cannot create folder '{}': {}", out.folder.string(), ec.message()))
            .at_path(out.folder.string());
    out.counter = next_file_counter(out.folder, out.filename);
    return out;
}

fs::path join_inside(const fs::path& base, std::string_view relative) {
    const std::string norm = normalize_relative(relative);
    if (escapes(norm))
        throw Error(ErrorCode::InvalidPath, fmt::format("'{}' is outside the folder '{}'", std::string(relative), base.string()))
            .at_path(std::string(relative));
    fs::path out = normal_base(base);
    if (!norm.empty()) out /= norm;
    return out;
}

const fs::path& folder_of_type_or_throw(const Folders& folders, std::string_view type) {
    if (const fs::path* dir = weft::folder_of_type(folders, type)) return *dir;
    throw Error(ErrorCode::InvalidInputType, fmt::format("Unknown folder type '{}' (output, temp or input)", std::string(type)));
}

fs::path resolve_annotated_file(const Folders& folders, std::string_view name) {
    for (std::string_view type : kFolderTypes) {
        const std::string tag = fmt::format("[{}]", type);
        if (name.ends_with(tag)) {
            std::string_view rest = name.substr(0, name.size() - tag.size());
            while (rest.ends_with(' ')) rest.remove_suffix(1);
            return join_inside(folder_of_type_or_throw(folders, type), rest);
        }
    }
    return join_inside(folders.input, name);
}

}  // namespace weft::nodes
