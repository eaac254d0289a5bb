// server/folder_types.h — ComfyUI's folder `type` names (input, output, temp) and reading/writing
// whole files in them.
#pragma once

#include <weft/folder_type.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace weft::server {

/// ComfyUI's annotated names: "name.png [input]" names its folder type itself. Strips the
/// annotation from `filename` and sets `type` when there is one.
void take_type_annotation(std::string& filename, std::string& type);

/// The whole file; nullopt when it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);
/// Writes `data` to `path` (creating parent folders); false on failure.
bool write_file(const std::filesystem::path& path, std::string_view data);

/// The MIME type for a file name's extension ("application/octet-stream" when unknown).
std::string mime_type(const std::filesystem::path& path);

}  // namespace weft::server
