// Whole-file reads (see file_bytes.h).
#include "media/file_bytes.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <system_error>

namespace weft::media {

std::string read_file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::move(Error(ErrorCode::FileNotFound, fmt::format("Cannot read '{}': {}", path.string(),
                                                            std::generic_category().message(errno)))
                            .at_path(path.string()));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace weft::media
