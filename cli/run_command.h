// cli/run_command.h — `weft run WORKFLOW... [options]`: runs workflows in order in one session,
// so the cache carries over from one to the next.
#pragma once

#include "common_options.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace weft::cli {

struct RunArgs {
    FolderArgs folders;
    std::vector<std::string> workflows;
    std::vector<std::string> sets;
    std::string cache = "classic";
    std::string precision = "fp32";
    bool json = false;
    bool quiet = false;
    std::vector<std::string> targets;
    bool continue_on_error = false;
    int threads = 0;

    CLI::App* command = nullptr;
    CLI::Option* workflow_option = nullptr;
    CLI::Option* set_option = nullptr;
};

/// Adds the `run` subcommand to `app`, bound to `args`.
void add_run_command(CLI::App& app, RunArgs& args);

/// Runs the parsed command; returns the exit code (see exit_codes.h).
int run_command(RunArgs& args);

}  // namespace weft::cli
