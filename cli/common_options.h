// cli/common_options.h — options shared by the subcommands: folders, --set, cache.
#pragma once

#include <weft/session.h>
#include <weft/workflow.h>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace weft::cli {

struct FolderArgs {
    std::vector<std::string> models;
    std::string input_dir, output_dir, temp_dir;

    /// Adds --models, --input-dir, --output-dir, --temp-dir to `app`.
    void add_to(CLI::App& app);
    /// The session folders: ComfyUI's layout under the current directory unless overridden.
    Folders folders() const;
};

/// One `--set NODE_ID.INPUT=VALUE`, parsed.
struct InputOverride {
    std::string node_id, input;
    Value value;
    std::string text;  // as written, for messages
};

/// Parses NODE_ID.INPUT=VALUE (the node id ends at the last '.' before '='). VALUE is JSON when
/// it parses as JSON, else the text as a STRING. Throws CliError(kExitInvalid) when malformed.
InputOverride parse_override(const std::string& text);

/// Applies overrides to a workflow; throws CliError(kExitInvalid) naming the node when missing.
void apply_overrides(Workflow& wf, const std::vector<InputOverride>& overrides, const std::string& origin);

/// A workflow file as text; throws CliError(kExitFileError) when it cannot be read.
std::string read_workflow_text(const std::string& path);

/// Parses a workflow's text; throws weft::Error (invalid_prompt) when malformed.
Workflow parse_workflow(const std::string& text, const std::string& path);


}  // namespace weft::cli
