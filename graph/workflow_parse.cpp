// Workflow::parse / Workflow::load: detect the format from the content, then hand over to the
// parser of that format (one function per format, each in its own file).
#include <weft/error.h>
#include <weft/registry.h>
#include <weft/workflow.h>

#include "graph/json_text.h"
#include "graph/parse_api.h"
#include "graph/parse_ui.h"
#include "graph/media_workflow.h"
#include "graph/parse_yaml.h"
#include "graph/png_workflow.h"

#include <fstream>
#include <sstream>

namespace weft {

namespace {

// Line and column (1-based) of byte offset `pos` in `text`.
std::pair<size_t, size_t> line_col(std::string_view text, size_t pos) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < text.size(); ++i) {
        if (text[i] == '\n') { ++line; col = 1; }
        else ++col;
    }
    return {line, col};
}

nlohmann::ordered_json parse_json_text(std::string_view text, std::string_view origin) {
    try {
        return graph::parse_ordered_json(text);
    } catch (const nlohmann::ordered_json::parse_error& e) {
        // e.byte is 1-based: the position of the byte that could not be read.
        size_t pos = e.byte > 0 ? e.byte - 1 : 0;
        auto [line, col] = line_col(text, pos);
        throw Error(ErrorCode::InvalidPrompt, "Invalid JSON in " + std::string(origin),
                    "line " + std::to_string(line) + ", column " + std::to_string(col) + " (byte " + std::to_string(pos) +
                        "): " + e.what());
    }
}

}  // namespace

namespace {

// The format dispatch for every entry point; `registry` is null for the registry-less overloads.
Workflow parse_any(std::string_view text, std::string_view origin, const NodeRegistry* registry) {
    std::string_view body = text;
    if (body.substr(0, 8) == "\x89PNG\r\n\x1a\n") return graph::parse_png_workflow(body, origin, registry);
    if (graph::is_media_container(body)) return graph::parse_media_workflow(body, origin, registry);
    if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);  // UTF-8 byte-order mark
    size_t first = body.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        throw Error(ErrorCode::InvalidPrompt, "Empty workflow", "in " + std::string(origin));

    if (body[first] == '{' || body[first] == '[') {
        // ordered_json: an API workflow keeps the file's node and input order.
        nlohmann::ordered_json j = parse_json_text(body, origin);
        // UI-format (litegraph) JSON: {"nodes": [...], "links": [...]}. Its converter takes nlohmann::json.
        if (j.is_object() && j.contains("nodes") && j["nodes"].is_array()) {
            nlohmann::json uj = j;
            if (graph::is_ui_workflow(uj)) {
                if (!registry)
                    throw Error(ErrorCode::InvalidPrompt,
                                "UI-format workflow: converting it to the API format needs the node schemas; pass the node registry "
                                "(Workflow::parse(text, origin, registry) / Workflow::load(path, registry))",
                                "in " + std::string(origin));
                Workflow wf = graph::convert_ui_workflow(uj, *registry, origin);
                wf.set_ui_graph(j.dump());
                return wf;
            }
        }
        return graph::parse_api_json(j, origin);
    }
    // Anything else is read as YAML (the API structure); its parser reports syntax errors with
    // line numbers.
    return graph::parse_api_yaml(body, origin);
}

// I/O failures get their own codes so a caller can tell "no such file" from "not a workflow".
std::string read_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw std::move(Error(ErrorCode::FileNotFound, "Workflow file not found: " + path.string()).at_path(path.string()));
    if (std::filesystem::is_directory(path, ec))
        throw std::move(Error(ErrorCode::InvalidFile, "Cannot read workflow file " + path.string(), "it is a directory")
                            .at_path(path.string()));
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::move(Error(ErrorCode::InvalidFile, "Cannot open workflow file " + path.string()).at_path(path.string()));
    std::ostringstream ss;
    ss << f.rdbuf();
    if (f.bad()) throw std::move(Error(ErrorCode::InvalidFile, "Cannot read workflow file " + path.string()).at_path(path.string()));
    return ss.str();
}

Workflow load_any(const std::filesystem::path& path, const NodeRegistry* registry) {
    std::string text = read_file(path);
    try {
        return parse_any(text, path.string(), registry);
    } catch (Error& e) {
        e.at_path(path.string());
        throw;
    }
}

}  // namespace

Workflow Workflow::parse(std::string_view text, std::string_view origin) { return parse_any(text, origin, nullptr); }

Workflow Workflow::parse(std::string_view text, std::string_view origin, const NodeRegistry& registry) {
    return parse_any(text, origin, &registry);
}

Workflow Workflow::load(const std::filesystem::path& path) { return load_any(path, nullptr); }

Workflow Workflow::load(const std::filesystem::path& path, const NodeRegistry& registry) { return load_any(path, &registry); }

}  // namespace weft
