#include "paths.h"

#include "http_response.h"

namespace weft::server {

namespace fs = std::filesystem;

namespace {

// Rejects what could leave the folder before touching the file system.
void check_relative(std::string_view name, std::string_view what) {
    if (name.find('\0') != std::string_view::npos)
        throw HttpError{http::status::bad_request, "invalid_path", std::string(what) + " contains a NUL byte"};
    if (!name.empty() && (name.front() == '/' || name.front() == '\\' || (name.size() > 1 && name[1] == ':')))
        throw HttpError{http::status::bad_request, "invalid_path", std::string(what) + " must be a relative path"};
    size_t start = 0;
    while (start <= name.size()) {
        size_t end = name.find_first_of("/\\", start);
        if (end == std::string_view::npos) end = name.size();
        if (name.substr(start, end - start) == "..")
            throw HttpError{http::status::bad_request, "invalid_path", std::string(what) + " may not contain '..'"};
        start = end + 1;
    }
}

}  // namespace

bool is_within(const fs::path& base, const fs::path& p) {
    std::error_code ec;
    const fs::path b = fs::weakly_canonical(fs::absolute(base), ec);
    if (ec) return false;
    const fs::path q = fs::weakly_canonical(fs::absolute(p), ec);
    if (ec) return false;
    auto bi = b.begin(), qi = q.begin();
    for (; bi != b.end(); ++bi, ++qi) {
        if (bi->empty() && std::next(bi) == b.end()) break;  // trailing separator
        if (qi == q.end() || *bi != *qi) return false;
    }
    return true;
}

fs::path safe_join(const fs::path& base, std::string_view subfolder, std::string_view filename, bool filename_is_leaf) {
    check_relative(subfolder, "subfolder");
    check_relative(filename, "filename");
    if (filename_is_leaf && filename.find_first_of("/\\") != std::string_view::npos)
        throw HttpError{http::status::bad_request, "invalid_path", "filename may not contain a path separator"};
    fs::path p = base;
    if (!subfolder.empty()) p /= fs::path(std::string(subfolder));
    if (!filename.empty()) p /= fs::path(std::string(filename));
    if (!is_within(base, p))
        throw HttpError{http::status::forbidden, "invalid_path", "the path leads outside the folder"};
    return p;
}

}  // namespace weft::server
