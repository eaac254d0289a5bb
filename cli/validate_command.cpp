#include "validate_command.h"

#include "exit_codes.h"
#include "result_json.h"

#include <weft/json.h>
#include <weft/registry.h>
#include <weft/session.h>

#include <cstdio>

namespace weft::cli {

void add_validate_command(CLI::App& app, ValidateArgs& a) {
    CLI::App* cmd = app.add_subcommand("validate", "Check a workflow without running it (exit 0 \"ok\", or 2 with ComfyUI's error JSON)");
    cmd->add_option("workflow", a.workflow, "Workflow file (API or UI format)")->required()->type_name("WORKFLOW");
    a.folders.add_to(*cmd);
    cmd->add_option("--set", a.sets, "Override an input before validating: NODE_ID.INPUT=VALUE")
        ->type_name("NODE_ID.INPUT=VALUE")
        ->expected(1)
        ->allow_extra_args(false)
        ->take_all();
    cmd->add_option("--target", a.targets, "Validate only this output node and what it needs (repeatable)")->type_name("NODE_ID");
}

int validate_command(const ValidateArgs& a) {
    std::vector<InputOverride> overrides;
    for (const std::string& s : a.sets) overrides.push_back(parse_override(s));
    const std::string text = read_workflow_text(a.workflow);

    ValidationReport report;
    Workflow wf;
    bool parsed = true;
    try {
        wf = parse_workflow(text, a.workflow);
    } catch (const std::exception& e) {
        report = parse_error_report(e);
        parsed = false;
    }
    if (parsed) {
        apply_overrides(wf, overrides, a.workflow);
        SessionOptions options;
        options.folders = a.folders.folders();
        options.cache.mode = CacheOptions::Mode::None;
        const Session session(builtin_registry(), options);
        RunOptions ro;
        if (!a.targets.empty()) ro.targets = a.targets;
        report = session.validate(wf, ro);
    }
    if (report.ok() && report.node_errors.empty()) {
        std::printf("ok\n");
        return kExitOk;
    }
    if (!report.error) {
        // Some outputs are fine (a run would execute those); validate still reports the rest in
        // the shape ComfyUI uses when outputs fail validation.
        report.error = ErrorInfo{error_code_name(ErrorCode::PromptOutputsFailedValidation), "Prompt outputs failed validation", "", {}};
    }
    std::printf("%s\n", validation_to_json(report, 2).c_str());
    return kExitInvalid;
}

}  // namespace weft::cli
