// cli/validate_command.h — `weft validate WORKFLOW`: "ok" (exit 0), or ComfyUI's
// {"error", "node_errors"} JSON on stdout (exit 2).
#pragma once

#include "common_options.h"

#include <CLI/CLI.hpp>

namespace weft::cli {

struct ValidateArgs {
    FolderArgs folders;
    std::string workflow;
    std::vector<std::string> sets;
    std::vector<std::string> targets;
};

void add_validate_command(CLI::App& app, ValidateArgs& args);
int validate_command(const ValidateArgs& args);

}  // namespace weft::cli
