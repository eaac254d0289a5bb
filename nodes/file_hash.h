// nodes/file_hash.h — SHA-256 of a file's content, the fingerprint ComfyUI's loaders use
// (IS_CHANGED = sha256 hex digest): a changed file re-runs the node, an unchanged one stays cached.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace weft::nodes {

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::span<const uint8_t> data);
/// Lowercase hex SHA-256 of the file's bytes; throws weft::Error naming the path when unreadable.
std::string sha256_file_hex(const std::filesystem::path& path);
/// As sha256_file_hex, remembered per path while the file's identity (inode, size, mtime, ctime)
/// stays the same: loader fingerprints run on every run, and a multi-GB model is hashed once per
/// process, while a rewritten or replaced file is hashed again. Thread-safe.
std::string sha256_file_hex_remembered(const std::filesystem::path& path);

}  // namespace weft::nodes
