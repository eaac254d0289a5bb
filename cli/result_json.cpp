#include "result_json.h"

#include <weft/error.h>
#include <weft/folder_type.h>
#include <weft/json.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace weft::cli {

namespace {

nlohmann::json parse(const std::string& text) { return nlohmann::json::parse(text); }


}  // namespace

nlohmann::json ui_with_paths(const Dict& ui, const Folders& folders) {
    nlohmann::json j = parse(value_to_json(Value(ui)));
    for (auto& [key, items] : j.items()) {
        if (!items.is_array()) continue;
        for (auto& item : items) {
            if (!item.is_object() || !item.contains("filename") || !item.contains("type")) continue;
            if (!item["filename"].is_string() || !item["type"].is_string()) continue;
            const fs::path* base = folder_of_type(folders, item["type"].get<std::string>());
            if (!base) continue;
            fs::path p = fs::absolute(*base);
            if (item.contains("subfolder") && item["subfolder"].is_string() && !item["subfolder"].get<std::string>().empty())
                p /= item["subfolder"].get<std::string>();
            p /= item["filename"].get<std::string>();
            item["path"] = p.lexically_normal().string();
        }
    }
    return j;
}

ValidationReport parse_error_report(const std::exception& e) {
    ValidationReport report;
    ErrorInfo info;
    if (const auto* we = dynamic_cast<const Error*>(&e)) {
        info = we->info();
    } else {
        info.type = "invalid_prompt";
        info.message = "Cannot parse the workflow";
        info.details = e.what();
    }
    report.error = info;
    return report;
}

nlohmann::json parse_error_json(const std::string& workflow_path, const ValidationReport& report) {
    nlohmann::json j;
    j["workflow"] = workflow_path;
    j["prompt_id"] = nullptr;
    j["status"] = "invalid";
    j["executed"] = nlohmann::json::array();
    j["cached"] = nlohmann::json::array();
    j["blocked"] = nlohmann::json::array();
    j["outputs"] = nlohmann::json::object();
    j["errors"] = {{"validation", parse(validation_to_json(report))}, {"execution", nullptr}, {"nodes", nlohmann::json::array()}};
    j["node_seconds"] = nlohmann::json::object();
    j["total_seconds"] = 0.0;
    return j;
}

nlohmann::json run_result_json(const std::string& workflow_path, const RunResult& r, const Folders& folders) {
    nlohmann::json j;
    j["workflow"] = workflow_path;
    j["prompt_id"] = r.prompt_id;
    j["status"] = run_status_name(r.status);
    j["executed"] = r.executed;
    j["cached"] = r.cached;
    j["blocked"] = r.blocked;
    nlohmann::json outputs = nlohmann::json::object();
    for (const auto& [node_id, ui] : r.ui) outputs[node_id] = ui_with_paths(ui, folders);
    j["outputs"] = std::move(outputs);

    nlohmann::json errors;
    const bool validation_failed = !r.validation.ok() || !r.validation.node_errors.empty();
    errors["validation"] = validation_failed ? parse(validation_to_json(r.validation)) : nlohmann::json(nullptr);
    errors["execution"] = r.error ? parse(execution_error_to_json(*r.error)) : nlohmann::json(nullptr);
    nlohmann::json node_errors = nlohmann::json::array();
    for (const ExecutionError& e : r.node_errors) node_errors.push_back(parse(execution_error_to_json(e)));
    errors["nodes"] = std::move(node_errors);
    j["errors"] = std::move(errors);

    j["node_seconds"] = r.node_seconds;
    j["total_seconds"] = r.total_seconds;
    return j;
}

}  // namespace weft::cli
