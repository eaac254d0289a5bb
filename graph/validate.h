// graph/validate.h — ComfyUI's prompt validation as a pure function.
#pragma once

#include <weft/error.h>
#include <weft/folders.h>
#include <weft/registry.h>
#include <weft/workflow.h>

#include <optional>
#include <string>
#include <vector>

namespace weft::graph {

struct Validated {
    ValidationReport report;
    /// The input workflow with constants coerced to their declared types (INT, FLOAT, STRING,
    /// BOOLEAN) as ComfyUI coerces them; undeclared constants dropped. The input is not modified.
    Workflow coerced;
};

/// Validates the output nodes of `wf` (restricted to `targets` when given) and their ancestors,
/// collecting every error in ComfyUI's shape. Never throws for problems of the workflow.
Validated validate_workflow(const Workflow& wf, const NodeRegistry& registry, const Folders& folders,
                            const std::optional<std::vector<std::string>>& targets);

}  // namespace weft::graph
