// cli/nodes_command.h — `weft nodes [--json] [NAME]`: the node types this build knows.
#pragma once

#include "common_options.h"

#include <CLI/CLI.hpp>

namespace weft::cli {

struct NodesArgs {
    FolderArgs folders;
    std::string name;
    bool json = false;
};

void add_nodes_command(CLI::App& app, NodesArgs& args);
int nodes_command(const NodesArgs& args);

}  // namespace weft::cli
