// server/paths.h — joining client-supplied names onto the server's folders without escaping them.
//
// A name from a request (subfolder, filename) may not be absolute, may not contain a `..` segment
// or a NUL, and the joined path, with symlinks resolved, must still lie under the folder.
#pragma once

#include <filesystem>
#include <string_view>

namespace weft::server {

/// `base / subfolder / filename`; throws HttpError (400 for absolute or `..` names, 403 when a
/// symlink leads outside `base`). `filename` may not contain '/' or '\\' when `filename_is_leaf`.
std::filesystem::path safe_join(const std::filesystem::path& base, std::string_view subfolder, std::string_view filename,
                                bool filename_is_leaf = false);

/// True when `p` (symlinks resolved) is `base` or lies under it.
bool is_within(const std::filesystem::path& base, const std::filesystem::path& p);

}  // namespace weft::server
