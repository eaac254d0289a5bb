#include "common_options.h"

#include "exit_codes.h"

#include <weft/error.h>
#include <weft/json.h>
#include <weft/registry.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::cli {

void FolderArgs::add_to(CLI::App& app) {
    app.add_option("--models", models, "Model root folder (repeatable; default ./models)")->type_name("DIR");
    app.add_option("--input-dir", input_dir, "Input folder (default ./input)")->type_name("DIR");
    app.add_option("--output-dir", output_dir, "Output folder (default ./output)")->type_name("DIR");
    app.add_option("--temp-dir", temp_dir, "Temp folder for previews (default ./temp)")->type_name("DIR");
}

Folders FolderArgs::folders() const {
    Folders f;
    if (!models.empty()) f.models.assign(models.begin(), models.end());
    if (!input_dir.empty()) f.input = input_dir;
    if (!output_dir.empty()) f.output = output_dir;
    if (!temp_dir.empty()) f.temp = temp_dir;
    return f;
}

InputOverride parse_override(const std::string& text) {
    const size_t eq = text.find('=');
    const size_t dot = eq == std::string::npos ? std::string::npos : text.rfind('.', eq);
    if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == eq)
        throw CliError(kExitInvalid, fmt::format("--set '{}': expected NODE_ID.INPUT=VALUE", text));
    InputOverride o;
    o.node_id = text.substr(0, dot);
    o.input = text.substr(dot + 1, eq - dot - 1);
    o.text = text;
    const std::string value = text.substr(eq + 1);
    // JSON when it is JSON (numbers, true, "quoted", lists), otherwise the text itself.
    if (nlohmann::json::accept(value)) {
        try {
            o.value = value_from_json(value);
            return o;
        } catch (const std::exception&) {
        }
    }
    o.value = Value(value);
    return o;
}

void apply_overrides(Workflow& wf, const std::vector<InputOverride>& overrides, const std::string& origin) {
    for (const InputOverride& o : overrides) {
        if (!wf.find(o.node_id))
            throw CliError(kExitInvalid, fmt::format("--set {}: {} has no node '{}'", o.text, origin, o.node_id));
        wf.set_input(o.node_id, o.input, o.value);
    }
}

std::string read_workflow_text(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw CliError(kExitFileError, fmt::format("cannot read workflow '{}': it is a directory", path));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CliError(kExitFileError, fmt::format("cannot read workflow '{}': {}", path, std::strerror(errno)));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw CliError(kExitFileError, fmt::format("cannot read workflow '{}': read error", path));
    return ss.str();
}

Workflow parse_workflow(const std::string& text, const std::string& path) {
    return Workflow::parse(text, path, *builtin_registry());  // the registry lets UI-format files and PNGs load
}

}  // namespace weft::cli
