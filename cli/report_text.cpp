#include "report_text.h"

#include "result_json.h"

#include <fmt/format.h>

namespace weft::cli {

namespace {

std::string describe(const ErrorInfo& e) {
    std::string s = e.message.empty() ? e.type : e.message;
    if (!e.details.empty()) s += ": " + e.details;
    return s;
}

}  // namespace

void print_validation_text(std::FILE* out, const ValidationReport& report) {
    if (report.error) std::fprintf(out, "invalid workflow: %s\n", describe(*report.error).c_str());
    else if (!report.node_errors.empty()) std::fprintf(out, "some outputs are invalid and will not run:\n");
    for (const auto& [id, ne] : report.node_errors)
        for (const ErrorInfo& e : ne.errors)
            std::fprintf(out, "  node %s (%s): %s\n", id.c_str(), ne.class_type.c_str(), describe(e).c_str());
}

void print_execution_error_text(std::FILE* out, const ExecutionError& error) {
    std::fprintf(out, "node %s (%s) failed: %s%s%s\n", error.display_node_id.empty() ? error.node_id.c_str() : error.display_node_id.c_str(),
                 error.node_type.c_str(), error.exception_type.c_str(), error.exception_type.empty() ? "" : ": ",
                 error.exception_message.c_str());
}

void print_run_summary(std::FILE* out, const std::string& label, const RunResult& r, const Folders& folders) {
    std::fprintf(out, "%s: %s, %zu nodes ran, %zu cached, %.3f s\n", label.c_str(), run_status_name(r.status),
                 r.executed.size(), r.cached.size(), r.total_seconds);
    for (const auto& [node_id, ui] : r.ui) {
        const nlohmann::json j = ui_with_paths(ui, folders);
        for (const auto& [key, items] : j.items()) {
            if (!items.is_array()) continue;
            for (const auto& item : items) {
                if (item.is_object() && item.contains("path"))
                    std::fprintf(out, "  node %s: %s %s\n", node_id.c_str(),
                                 item.value("type", "") == "output" ? "saved" : "wrote", item["path"].get<std::string>().c_str());
                else if (key == "text" && item.is_string())
                    std::fprintf(out, "  node %s: %s\n", node_id.c_str(), item.get<std::string>().c_str());
            }
        }
    }
}

}  // namespace weft::cli
