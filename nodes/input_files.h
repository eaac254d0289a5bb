// nodes/input_files.h — the file pickers of loader nodes (LoadImage, LoadLatent): the combo lists
// the input folder's files, validation checks the chosen file exists (instead of the combo check,
// so files added after the list was made still work), and the fingerprint is the file's hash.
#pragma once

#include <weft/node.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace weft::nodes {

/// Names of the regular files directly in the input folder whose lowercase extension is one of
/// `extensions` (".png", ...), sorted; empty when the folder does not exist.
std::vector<std::string> list_input_files(const Folders& folders, const std::vector<std::string>& extensions);

/// A COMBO input whose options are the input folder's files with one of `extensions`.
Input file_picker(std::string name, std::vector<std::string> extensions);

/// Gives `def` the checks of a file picker input: custom validation "<invalid_message>: <name>"
/// when the file is missing (replacing the combo check) and a fingerprint = SHA-256 of the file.
void add_picked_file_checks(NodeDefinition& def, const std::string& input, std::string invalid_message);

/// The path a picker value names (annotated names like "x.png [output]" allowed); throws
/// weft::Error naming node, input and path when it escapes its folder or does not exist.
std::filesystem::path picked_file(const NodeContext& ctx, std::string_view input);

}  // namespace weft::nodes
