// cli/demo_model_command.h — `weft demo-model DIR`: writes the demo SD1 checkpoint and vocabulary.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace weft::cli {

struct DemoModelArgs {
    CLI::App* command = nullptr;
    std::string dir = "models";
};

void add_demo_model_command(CLI::App& app, DemoModelArgs& args);
int demo_model_command(const DemoModelArgs& args);

}  // namespace weft::cli
