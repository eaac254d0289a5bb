// tests/support/process_runner.h — runs a program (the weft CLI, an example) and captures what it
// printed and how it exited.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace weft::testing {

struct ProcessResult {
    int exit_code = -1;   // the exit status; 128 + signal when killed by a signal
    std::string out;      // stdout
    std::string err;      // stderr
};

/// Runs `program` with `args` (no shell: arguments are passed as they are) in `cwd`, waits for it
/// and returns its exit code, stdout and stderr. stdin is /dev/null.
ProcessResult run_process(const std::filesystem::path& program, const std::vector<std::string>& args,
                          const std::filesystem::path& cwd = std::filesystem::current_path());

/// A fresh empty folder under the system temp folder, removed with everything in it on
/// destruction.
class TempDir {
public:
    explicit TempDir(const std::string& tag = "weft-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

private:
    std::filesystem::path path_;
};

/// Writes `text` to `path` (creating parent folders).
void write_text_file(const std::filesystem::path& path, const std::string& text);
/// The whole file as text; throws std::runtime_error when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace weft::testing
