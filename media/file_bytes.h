// media/file_bytes.h — a whole file read into memory, the first step of every decoder here that
// parses bytes (PNG, JPEG, WebP, APNG, animated WebP).
#pragma once

#include <filesystem>
#include <string>

namespace weft::media {

/// The file's bytes. Throws weft::Error(weft::ErrorCode::FileNotFound) naming the path when it cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace weft::media
