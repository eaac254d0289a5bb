// cli/report_text.h — run results and errors as readable text (the non --json output).
#pragma once

#include <weft/error.h>
#include <weft/folders.h>
#include <weft/session.h>

#include <cstdio>
#include <string>

namespace weft::cli {

/// "invalid workflow: <message>" and one line per node error.
void print_validation_text(std::FILE* out, const ValidationReport& report);
/// "node 3 (KSampler) failed: <type>: <message>".
void print_execution_error_text(std::FILE* out, const ExecutionError& error);
/// "demo.json: success, 3 nodes ran, 0 cached, 0.012 s" then saved files and text previews.
void print_run_summary(std::FILE* out, const std::string& label, const RunResult& result, const Folders& folders);

}  // namespace weft::cli
