// include/weft/error.h — errors as ComfyUI reports them.
//
// Every error weft raises at its boundary is a weft::Error carrying ComfyUI's closed `type` string
// (invalid_prompt, required_input_missing, value_not_in_list, ...), a message, details, and the
// context that makes it actionable: node id, input name, file path.
//
//   throw weft::Error("invalid_input_type", "expected an IMAGE").at_node("7").at_input("image");
//
// Thread safety: plain values.
#pragma once

#include <weft/value.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace weft {

/// ComfyUI's error object: {"type", "message", "details", "extra_info"}.
struct ErrorInfo {
    std::string type;
    std::string message;
    std::string details;
    Dict extra_info;
};

class Error : public std::runtime_error {
public:
    explicit Error(std::string type, std::string message, std::string details = {});

    const std::string& type() const { return info_.type; }
    const std::string& message() const { return info_.message; }
    const std::string& details() const { return info_.details; }
    const Dict& extra_info() const { return info_.extra_info; }
    const ErrorInfo& info() const { return info_; }
    const std::string& node_id() const { return node_id_; }
    const std::string& input_name() const { return input_name_; }
    const std::string& path() const { return path_; }

    Error& at_node(std::string node_id);
    Error& at_input(std::string input_name);
    Error& at_path(std::string path);
    Error& with_extra(const std::string& key, Value v);

private:
    void rebuild_what();
    ErrorInfo info_;
    std::string node_id_, input_name_, path_;
    std::string what_;
public:
    const char* what() const noexcept override { return what_.c_str(); }
};

/// Thrown from NodeContext::progress()/check_cancelled() when the run was cancelled.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("processing interrupted") {}
};

/// Validation errors of one node, as in ComfyUI's `node_errors[id]`.
struct NodeErrors {
    std::string class_type;
    std::vector<ErrorInfo> errors;
    std::vector<std::string> dependent_outputs;
};

/// The result of validating a workflow: ComfyUI's `{error, node_errors}` plus the outputs that
/// passed and will run.
struct ValidationReport {
    std::optional<ErrorInfo> error;                  // set when nothing can run
    std::map<std::string, NodeErrors> node_errors;   // errors of outputs that will not run
    std::vector<std::string> good_outputs;           // output node ids that validated

    bool ok() const { return !error.has_value(); }
};

/// An error raised while a node ran (ComfyUI's execution_error data).
struct ExecutionError {
    std::string node_id;
    std::string display_node_id;
    std::string node_type;
    std::string exception_type;      // e.g. "weft::Error(invalid_input_type)", "graph.DependencyCycleError"
    std::string exception_message;
    std::vector<std::string> traceback;
    std::map<std::string, std::vector<std::string>> current_inputs;  // input name -> rendered values
    std::vector<std::string> executed;                               // node ids run before the failure
};

}  // namespace weft
