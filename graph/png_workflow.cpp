// Workflows embedded in PNG text chunks (see png_workflow.h); media/ reads the chunks.
#include "graph/png_workflow.h"

#include "graph/parse_api.h"
#include "graph/parse_ui.h"
#include "media/png_text.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>

namespace weft::graph {

namespace {

Error png_error(std::string_view origin, const std::string& what) {
    return std::move(Error(ErrorCode::InvalidPrompt, "Cannot read the workflow from PNG " + std::string(origin) + ": " + what)
                         .at_path(std::string(origin)));
}

}  // namespace

Workflow parse_png_workflow(std::string_view bytes, std::string_view origin, const NodeRegistry* registry) {
    std::vector<media::PngText> chunks;
    try {
        chunks = media::read_png_texts(bytes, origin);
    } catch (const Error& e) {  // a damaged PNG is a prompt that cannot be read
        throw std::move(Error(ErrorCode::InvalidPrompt, e.message(), e.details()).at_path(std::string(origin)));
    }
    const std::string* prompt = nullptr;
    const std::string* workflow = nullptr;
    for (const auto& [key, text] : chunks) {
        if (key == "prompt" && !prompt) prompt = &text;
        if (key == "workflow" && !workflow) workflow = &text;
    }
    auto parse_chunk = [&](const std::string& text, const char* key) {
        try {
            return nlohmann::json::parse(text);
        } catch (const nlohmann::json::parse_error& e) {
            throw png_error(origin, std::string("its '") + key + "' text chunk is not valid JSON: " + e.what());
        }
    };
    if (prompt) {
        nlohmann::json j = parse_chunk(*prompt, "prompt");
        if (!j.is_null()) return parse_api_json(j, origin);
    }
    if (workflow) {
        if (!registry)
            throw png_error(origin,
                            "it holds only a UI-format workflow, and converting that needs the node schemas; pass the node registry "
                            "(Workflow::load(path, registry))");
        return convert_ui_workflow(parse_chunk(*workflow, "workflow"), *registry, origin);
    }
    throw png_error(origin, "it has no 'prompt' or 'workflow' text chunk (was it saved with the workflow embedded?)");
}

}  // namespace weft::graph
