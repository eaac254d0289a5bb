// include/weft/folder_type.h — ComfyUI's folder `type` names: "output", "input", "temp".
//
//   const std::filesystem::path* dir = weft::folder_of_type(session.options().folders, "output");
//
// UI results ({"filename", "subfolder", "type"}), GET /view and annotated file names
// ("name.png [output]") name a session's folder by these types.
#pragma once

#include <weft/folders.h>

#include <array>
#include <filesystem>
#include <string_view>

namespace weft {

/// The type names, in the order annotated names are tried.
inline constexpr std::array<std::string_view, 3> kFolderTypes = {"output", "input", "temp"};

/// The folder `type` names in `folders`; nullptr for a name outside kFolderTypes.
const std::filesystem::path* folder_of_type(const Folders& folders, std::string_view type);

}  // namespace weft
