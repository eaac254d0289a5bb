// include/weft/error.h — errors as ComfyUI reports them.
//
// Every error weft raises at its boundary is a weft::Error carrying an ErrorCode from a closed set
// (its JSON name is ComfyUI's `type`: invalid_prompt, required_input_missing, ...), a message,
// details, and the context that makes it actionable: node id, input name, file path.
//
//   throw weft::Error(weft::ErrorCode::InvalidInputType, "expected an IMAGE").at_input("image");
//
// Thread safety: plain values.
#pragma once

#include <weft/value.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

/// What went wrong, from a closed set. The first group are ComfyUI's validation error types; the
/// rest are weft's run-time kinds. error_code_name() gives the `type` string of the JSON shapes.
enum class ErrorCode {
    InvalidPrompt,                  // invalid_prompt: the workflow cannot be read or run at all
    PromptNoOutputs,                // prompt_no_outputs
    PromptOutputsFailedValidation,  // prompt_outputs_failed_validation
    MissingNodeType,                // missing_node_type: a class_type no registry has
    RequiredInputMissing,           // required_input_missing
    InvalidInputType,               // invalid_input_type: an input of the wrong kind
    ValueNotInList,                 // value_not_in_list: a combo value outside its options
    ValueSmallerThanMin,            // value_smaller_than_min
    ValueBiggerThanMax,             // value_bigger_than_max
    ReturnTypeMismatch,             // return_type_mismatch: a link between incompatible types
    ExceptionDuringValidation,      // exception_during_validation
    ExceptionDuringInnerValidation, // exception_during_inner_validation
    DependencyCycle,                // dependency_cycle
    CustomValidationFailed,         // custom_validation_failed: a node's own input check refused
    InvalidInput,                   // invalid_input: a value of the right kind that cannot be used
    InvalidNodeDefinition,          // invalid_node_definition: a registry refused a definition
    InvalidImage,                   // invalid_image: an image file or tensor that cannot be used
    InvalidVideo,                   // invalid_video
    InvalidMedia,                   // invalid_media: a media file whose structure is broken
    InvalidModel,                   // invalid_model: a model of the wrong family or shape
    ModelLoadFailed,                // model_load_failed: a model file that cannot be read
    FileNotFound,                   // file_not_found
    InvalidFile,                    // invalid_file
    InvalidPath,                    // invalid_path: a path that escapes its folder
    InvalidJson,                    // invalid_json
    SaveFailed,                     // save_failed
    InvalidPrefix,                  // invalid_prefix: a filename_prefix that escapes the output folder
    TensorError,                    // tensor_error: an op's arguments do not fit
    InvalidPreview,                 // invalid_preview
    InvalidPrecision,               // invalid_precision
    InvalidCacheOptions,            // invalid_cache_options
    ServerError,                    // server_error
    ServerQueueError,               // server_queue_error
    InternalError,                  // internal_error
    Interrupted,                    // interrupted: the run was cancelled
};

/// The code's `type` name in ComfyUI's JSON shapes ("invalid_prompt", ...).
const char* error_code_name(ErrorCode code);
/// The code of a `type` name; nullopt for a name outside the set.
std::optional<ErrorCode> error_code_from_name(std::string_view name);

/// ComfyUI's error object: {"type", "message", "details", "extra_info"}.
struct ErrorInfo {
    std::string type;
    std::string message;
    std::string details;
    Dict extra_info;
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, std::string message, std::string details = {});

    ErrorCode code() const { return code_; }
    /// error_code_name(code()): the `type` of ComfyUI's JSON.
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
    ErrorCode code_ = ErrorCode::InternalError;
    ErrorInfo info_;
    std::string node_id_, input_name_, path_;
    std::string what_;
public:
    const char* what() const noexcept override { return what_.c_str(); }
};

/// Thrown from NodeContext::progress()/check_cancelled() when the run was cancelled: an Error
/// (code Interrupted), so one catch of weft::Error sees every failure; catch Cancelled first where
/// a cancellation is handled apart.
class Cancelled : public Error {
public:
    Cancelled() : Error(ErrorCode::Interrupted, "processing interrupted") {}
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
