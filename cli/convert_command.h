// cli/convert_command.h — `weft convert FILE [-o OUT] [--yaml]`: prints a workflow in ComfyUI's
// API format, whatever format it was saved in (UI JSON, API JSON, YAML, PNG with metadata).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace weft::cli {

struct ConvertArgs {
    CLI::App* command = nullptr;
    std::string workflow;
    std::string output;   // empty: stdout
    int indent = 2;
};

void add_convert_command(CLI::App& app, ConvertArgs& args);
int convert_command(const ConvertArgs& args);

}  // namespace weft::cli
