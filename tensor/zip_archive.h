// tensor/zip_archive.h — the entries of a zip archive held in a mapping (as PyTorch writes them).
//
// torch.save() writes an uncompressed ("stored") zip: `<stem>/data.pkl`, `<stem>/data/<key>` (raw
// storage bytes, 64-byte aligned), `<stem>/version`, ... Only the central directory is parsed;
// entry bytes stay in the mapping until used. ZIP64 records (files over 4 GB) are understood.
// Compressed or encrypted entries are listed but cannot be read.
//
// Thread safety: immutable after construction.
#pragma once

#include "tensor/mapped_file.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace weft {

struct ZipEntry {
    std::string name;
    uint16_t method = 0;       // 0 = stored
    bool encrypted = false;
    uint64_t size = 0;         // uncompressed size
    uint64_t stored_size = 0;  // size in the archive
    uint64_t data_offset = 0;  // file offset of the entry's bytes
};

class ZipArchive {
public:
    /// Parses the central directory; throws weft::Error naming the file when it is not a valid zip.
    explicit ZipArchive(std::shared_ptr<MappedFile> file);

    /// True when the file ends with a zip end-of-central-directory record.
    static bool looks_like_zip(const MappedFile& file);

    const std::vector<ZipEntry>& entries() const { return entries_; }
    /// nullptr when absent.
    const ZipEntry* find(const std::string& name) const;
    /// The stored bytes of `e` (a stored, unencrypted entry; throws otherwise).
    const std::byte* data(const ZipEntry& e) const;
    const std::shared_ptr<MappedFile>& file() const { return file_; }

private:
    std::shared_ptr<MappedFile> file_;
    std::vector<ZipEntry> entries_;
    std::map<std::string, size_t> index_;
};

}  // namespace weft
