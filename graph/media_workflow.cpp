// Workflows embedded in animated and video files (see media_workflow.h); media/ reads the metadata.
#include "graph/media_workflow.h"

#include "graph/parse_api.h"
#include "graph/parse_ui.h"
#include "media/embedded_metadata.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace weft::graph {

namespace {

Error media_error(std::string_view origin, const std::string& why) {
    return Error(ErrorCode::InvalidPrompt, "Cannot read a workflow from " + std::string(origin), why);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

}  // namespace

Workflow parse_media_workflow(std::string_view bytes, std::string_view origin, const NodeRegistry* registry) {
    std::vector<std::pair<std::string, std::string>> entries;
    try {
        entries = media::read_media_metadata(bytes, origin);
    } catch (const Error& e) {  // a damaged file is a prompt that cannot be read
        throw media_error(origin, e.details());
    }
    const std::string* prompt = nullptr;
    const std::string* workflow = nullptr;
    for (const auto& [key, value] : entries) {
        const std::string k = lower(key);
        if (k == "prompt" && !prompt) prompt = &value;
        if (k == "workflow" && !workflow) workflow = &value;
    }
    auto parse = [&](const std::string& text, const char* key) {
        try {
            return nlohmann::ordered_json::parse(text);  // keeps the file's node order
        } catch (const nlohmann::json::parse_error& e) {
            throw media_error(origin, std::string("its '") + key + "' metadata is not valid JSON: " + e.what());
        }
    };
    if (prompt) {
        nlohmann::ordered_json j = parse(*prompt, "prompt");
        if (!j.is_null()) return parse_api_json(j, origin);
    }
    if (workflow) {
        if (!registry)
            throw media_error(origin,
                              "it holds only a UI-format workflow, and converting that needs the node schemas; pass the node "
                              "registry (Workflow::load(path, registry))");
        return convert_ui_workflow(nlohmann::json(parse(*workflow, "workflow")), *registry, origin);
    }
    throw media_error(origin, "it has no 'prompt' or 'workflow' metadata (was it saved with the workflow embedded?)");
}

}  // namespace weft::graph
