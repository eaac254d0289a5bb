// `weft convert`: any workflow format -> API-format JSON (see convert_command.h).
#include "convert_command.h"

#include "common_options.h"
#include "exit_codes.h"

#include <weft/error.h>
#include <weft/registry.h>
#include <weft/workflow.h>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

namespace weft::cli {

void add_convert_command(CLI::App& app, ConvertArgs& args) {
    args.command = app.add_subcommand("convert",
                                      "Print a workflow in ComfyUI's API format (from UI JSON, API JSON, YAML or a PNG with "
                                      "an embedded workflow)");
    args.command->add_option("workflow", args.workflow, "Workflow file")->required()->type_name("FILE");
    args.command->add_option("-o,--output", args.output, "Write to FILE instead of standard output")->type_name("FILE");
    args.command->add_option("--indent", args.indent, "JSON indentation (-1: one line)")->capture_default_str();
}

int convert_command(const ConvertArgs& a) {
    const std::string text = read_workflow_text(a.workflow);
    Workflow wf;
    try {
        wf = Workflow::parse(text, a.workflow, *builtin_registry());
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitInvalid;
    }
    const std::string json = wf.to_json(a.indent) + "\n";
    if (a.output.empty()) {
        std::fwrite(json.data(), 1, json.size(), stdout);
        return kExitOk;
    }
    std::ofstream out(a.output, std::ios::binary);
    out << json;
    if (!out) throw CliError(kExitFileError, fmt::format("cannot write '{}'", a.output));
    return kExitOk;
}

}  // namespace weft::cli
