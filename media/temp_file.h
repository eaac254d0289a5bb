// media/temp_file.h — a file written under a hidden temporary name beside its final name and
// renamed into place when complete: readers never see a half-written output, and a failure
// removes what was written.
#pragma once

#include <filesystem>

namespace weft::media {

class TempFile {
public:
    /// Reserves ".<name>.<random>.part" in the folder of `final_path`.
    explicit TempFile(std::filesystem::path final_path);
    ~TempFile();  // removes the temporary file unless committed
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::filesystem::path& path() const { return temp_; }
    /// Renames the temporary file to the final name; throws weft::Error naming it on failure.
    void commit();

private:
    std::filesystem::path final_, temp_;
    bool committed_ = false;
};

}  // namespace weft::media
