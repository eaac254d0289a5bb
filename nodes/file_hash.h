// nodes/file_hash.h — SHA-256 of a file's content, the fingerprint ComfyUI's loaders use
// (IS_CHANGED = sha256 hex digest): a changed file re-runs the node, an unchanged one stays cached.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <tuple>

namespace weft::nodes {

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::span<const uint8_t> data);
/// Lowercase hex SHA-256 of the file's bytes; throws weft::Error naming the path when unreadable.
std::string sha256_file_hex(const std::filesystem::path& path);

/// File hashes remembered per path while the file's identity (inode, size, mtime, ctime) stays
/// the same: loader fingerprints run on every run, and a multi-GB model is hashed once, while a
/// rewritten or replaced file is hashed again. A Session resource (clear_cache() forgets them).
/// Thread-safe.
class FileHashMemo {
public:
    /// sha256_file_hex of `path`, remembered.
    std::string sha256(const std::filesystem::path& path);
    /// Number of paths remembered.
    size_t size() const;

private:
    using Identity = std::tuple<uint64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;
    mutable std::mutex mutex_;
    std::map<std::string, std::pair<Identity, std::string>> known_;  // one entry per path
};

/// sha256_file_hex remembered in the FileHashMemo of the session whose node call runs on this
/// thread (core/resource_scope.h; the process's outside node calls).
std::string sha256_file_hex_remembered(const std::filesystem::path& path);

}  // namespace weft::nodes
