// cli/serve_command.h — `weft serve [options]`: ComfyUI's HTTP + WebSocket API (see docs/server.md).
#pragma once

#include "common_options.h"

#include <CLI/CLI.hpp>

#include <string>

namespace weft::cli {

struct ServeArgs {
    FolderArgs folders;
    std::string listen = "127.0.0.1";
    int port = 8188;
    std::string user_dir;
    std::string cache = "classic";
    std::string precision = "fp32";
    std::string front_end_root;
    std::string database;
    double max_upload_mb = 100;
    int threads = 0;
    std::string preview_method = "latent2rgb";

    CLI::App* command = nullptr;
};

/// Adds the `serve` subcommand to `app`, bound to `args`.
void add_serve_command(CLI::App& app, ServeArgs& args);

/// Serves until SIGINT or SIGTERM; returns the exit code.
int serve_command(ServeArgs& args);

}  // namespace weft::cli
