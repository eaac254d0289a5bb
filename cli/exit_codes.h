// cli/exit_codes.h — what `weft` returns to the shell (documented in README.md).
#pragma once

#include <stdexcept>
#include <string>

namespace weft::cli {

enum ExitCode : int {
    kExitOk = 0,          // everything ran (or validated)
    kExitFailed = 1,      // a node failed, or the run was interrupted
    kExitInvalid = 2,     // the workflow is invalid, or the command line is wrong
    kExitFileError = 3,   // a workflow file is missing or unreadable
};

/// A failure the command line reports with a message and an exit code (no stack trace, no crash).
class CliError : public std::runtime_error {
public:
    CliError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const { return code_; }

private:
    ExitCode code_;
};

}  // namespace weft::cli
