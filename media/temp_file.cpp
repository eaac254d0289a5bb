// TempFile: the random suffix keeps two writers of the same name (parallel runs) apart.
#include "media/temp_file.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <random>
#include <system_error>

namespace fs = std::filesystem;

namespace weft::media {

TempFile::TempFile(fs::path final_path) : final_(std::move(final_path)) {
    std::random_device rd;
    temp_ = final_.parent_path() / fmt::format(".{}.{:08x}.part", final_.filename().string(), rd());
}

TempFile::~TempFile() {
    if (committed_) return;
    std::error_code ec;
    fs::remove(temp_, ec);
}

void TempFile::commit() {
    std::error_code ec;
    fs::rename(temp_, final_, ec);
    if (ec)
        throw std::move(Error(ErrorCode::SaveFailed, "Cannot write " + final_.string() + ": " + ec.message()).at_path(final_.string()));
    committed_ = true;
}

}  // namespace weft::media
