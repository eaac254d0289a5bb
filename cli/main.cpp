// weft — runs ComfyUI workflows from the command line.
//
//   weft run workflows/demo.json            run a workflow (several: in order, one cache)
//   weft validate workflow.json             check it without running
//   weft nodes [--json] [NAME]              the node types this build knows
//   weft convert ui_workflow.json           print a workflow in API format
//   weft demo-model DIR                     write the random-weight SD1 demo checkpoint
//   weft serve [--port N]                   serve ComfyUI's HTTP + WebSocket API
//
// Exit codes: 0 ok, 1 a node failed or the run was interrupted, 2 invalid workflow or bad usage,
// 3 a workflow file is missing or unreadable.
#include "convert_command.h"
#include "demo_model_command.h"
#include "exit_codes.h"
#include "nodes_command.h"
#include "run_command.h"
#include "serve_command.h"
#include "validate_command.h"

#include <weft/error.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
    using namespace weft::cli;
    CLI::App app("weft: runs ComfyUI workflows natively, no Python", "weft");
    app.set_version_flag("--version", WEFT_VERSION);
    app.require_subcommand(1);
    app.footer("Exit codes: 0 ok, 1 a node failed or interrupted, 2 invalid workflow or bad usage, 3 file not found");

    RunArgs run_args;
    ValidateArgs validate_args;
    NodesArgs nodes_args;
    add_run_command(app, run_args);
    add_validate_command(app, validate_args);
    add_nodes_command(app, nodes_args);
    ConvertArgs convert_args;
    add_convert_command(app, convert_args);
    DemoModelArgs demo_args;
    add_demo_model_command(app, demo_args);
    ServeArgs serve_args;
    add_serve_command(app, serve_args);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);  // prints help, version or the usage error
        return code == 0 ? kExitOk : kExitInvalid;
    }

    try {
        if (run_args.command->parsed()) return run_command(run_args);
        if (app.got_subcommand("validate")) return validate_command(validate_args);
        if (app.got_subcommand("nodes")) return nodes_command(nodes_args);
        if (app.got_subcommand("convert")) return convert_command(convert_args);
        if (app.got_subcommand("demo-model")) return demo_model_command(demo_args);
        if (app.got_subcommand("serve")) return serve_command(serve_args);
        return kExitInvalid;
    } catch (const CliError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return e.code();
    } catch (const weft::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitFailed;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitFailed;
    }
}
