#include "nodes/input_files.h"

#include "nodes/file_hash.h"
#include "nodes/output_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace fs = std::filesystem;

namespace weft::nodes {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

bool exists_file(const Folders& folders, const std::string& name) {
    try {
        std::error_code ec;
        return fs::is_regular_file(resolve_annotated_file(folders, name), ec);
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

std::vector<std::string> list_input_files(const Folders& folders, const std::vector<std::string>& extensions) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(folders.input, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const std::string ext = lower(it->path().extension().string());
        if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) out.push_back(it->path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

Input file_picker(std::string name, std::vector<std::string> extensions) {
    Input in = Input::combo(std::move(name), {});
    in.options_provider = [extensions = std::move(extensions)](const Folders& f) { return list_input_files(f, extensions); };
    return in;
}

void add_picked_file_checks(NodeDefinition& def, const std::string& input, std::string invalid_message) {
    def.validate_handles.insert(input);
    def.validate = [input, invalid_message](const ValidateArgs& args) -> std::optional<std::string> {
        auto it = args.constants.find(input);
        if (it == args.constants.end() || !it->second.is_string()) return std::nullopt;  // linked: checked at run time
        if (!exists_file(args.folders, it->second.as_string())) return fmt::format("{}: {}", invalid_message, it->second.as_string());
        return std::nullopt;
    };
    // A file that cannot be read is "always changed": the node then runs and reports the error.
    def.fingerprint = [input](NodeContext& ctx) -> std::optional<Value> {
        try {
            return Value(sha256_file_hex(picked_file(ctx, input)));
        } catch (const Error&) {
            return std::nullopt;
        }
    };
}

fs::path picked_file(const NodeContext& ctx, std::string_view input) {
    const std::string& name = ctx.get_string(input);
    fs::path path;
    try {
        path = resolve_annotated_file(ctx.folders(), name);
    } catch (Error& e) {
        e.at_input(std::string(input));
        throw;
    }
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw Error(ErrorCode::FileNotFound, fmt::format("{}: no such file: {}", input, path.string()))
            .at_input(std::string(input))
            .at_path(path.string());
    return path;
}

}  // namespace weft::nodes
