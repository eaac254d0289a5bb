// tensor/zip_archive.cpp — central-directory parser (with ZIP64) over a MappedFile.
#include "tensor/zip_archive.h"

#include <weft/error.h>

#include <algorithm>

namespace weft {

namespace {

constexpr uint32_t kEocdSig = 0x06054b50, kZip64LocSig = 0x07064b50, kZip64EocdSig = 0x06064b50,
                   kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr size_t kEocdSize = 22, kZip64LocSize = 20, kZip64EocdSize = 56, kCentralSize = 46, kLocalSize = 30;

Error zip_error(const std::string& path, std::string msg) {
    Error e(ErrorCode::ModelLoadFailed, "invalid zip archive: " + std::move(msg));
    e.at_path(path);
    return e;
}

// Little-endian reads with bounds checked against the whole file.
struct Reader {
    const std::byte* base;
    size_t size;
    const std::string& path;

    void need(uint64_t off, uint64_t n, const char* what) const {
        if (off > size || n > size - off) throw zip_error(path, std::string(what) + " lies outside the file");
    }
    uint64_t le(uint64_t off, int n) const {
        uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(base[off + i]);
        return v;
    }
    uint16_t u16(uint64_t off) const { return static_cast<uint16_t>(le(off, 2)); }
    uint32_t u32(uint64_t off) const { return static_cast<uint32_t>(le(off, 4)); }
    uint64_t u64(uint64_t off) const { return le(off, 8); }
};

// Offset of the end-of-central-directory record, or npos. It sits in the last 64 KiB + 22 bytes.
size_t find_eocd(const std::byte* p, size_t size) {
    if (size < kEocdSize) return std::string::npos;
    const size_t lowest = size > kEocdSize + 0xffff ? size - kEocdSize - 0xffff : 0;
    for (size_t off = size - kEocdSize + 1; off-- > lowest;) {
        if (static_cast<uint8_t>(p[off]) == 0x50 && static_cast<uint8_t>(p[off + 1]) == 0x4b &&
            static_cast<uint8_t>(p[off + 2]) == 0x05 && static_cast<uint8_t>(p[off + 3]) == 0x06)
            return off;
    }
    return std::string::npos;
}

}  // namespace

bool ZipArchive::looks_like_zip(const MappedFile& file) {
    if (file.size() < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(file.data());
    if (!(p[0] == 'P' && p[1] == 'K')) return false;
    return find_eocd(file.data(), file.size()) != std::string::npos;
}

ZipArchive::ZipArchive(std::shared_ptr<MappedFile> file) : file_(std::move(file)) {
    const std::string& path = file_->path();
    const Reader r{file_->data(), file_->size(), path};
    const size_t eocd = find_eocd(r.base, r.size);
    if (eocd == std::string::npos) throw zip_error(path, "no end-of-central-directory record");

    uint64_t count = r.u16(eocd + 10);
    uint64_t cd_size = r.u32(eocd + 12);
    uint64_t cd_off = r.u32(eocd + 16);
    if (count == 0xffff || cd_size == 0xffffffff || cd_off == 0xffffffff) {
        // ZIP64: the locator just before the EOCD points at the 64-bit record.
        if (eocd < kZip64LocSize || r.u32(eocd - kZip64LocSize) != kZip64LocSig)
            throw zip_error(path, "ZIP64 sizes without a ZIP64 locator");
        const uint64_t rec = r.u64(eocd - kZip64LocSize + 8);
        r.need(rec, kZip64EocdSize, "ZIP64 end-of-central-directory record");
        if (r.u32(rec) != kZip64EocdSig) throw zip_error(path, "bad ZIP64 end-of-central-directory signature");
        count = r.u64(rec + 32);
        cd_size = r.u64(rec + 40);
        cd_off = r.u64(rec + 48);
    }
    r.need(cd_off, cd_size, "central directory");
    if (count > cd_size / kCentralSize) throw zip_error(path, "entry count does not fit the central directory");

    uint64_t pos = cd_off;
    const uint64_t cd_end = cd_off + cd_size;
    entries_.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
        if (pos + kCentralSize > cd_end || r.u32(pos) != kCentralSig)
            throw zip_error(path, "bad central directory entry " + std::to_string(i));
        ZipEntry e;
        const uint16_t flags = r.u16(pos + 8);
        e.method = r.u16(pos + 10);
        e.encrypted = flags & 1;
        e.stored_size = r.u32(pos + 20);
        e.size = r.u32(pos + 24);
        const uint16_t name_len = r.u16(pos + 28), extra_len = r.u16(pos + 30), comment_len = r.u16(pos + 32);
        uint64_t local = r.u32(pos + 42);
        const uint64_t name_at = pos + kCentralSize, extra_at = name_at + name_len;
        const uint64_t next = extra_at + extra_len + comment_len;
        if (next > cd_end) throw zip_error(path, "central directory entry " + std::to_string(i) + " overruns it");
        e.name.assign(reinterpret_cast<const char*>(r.base + name_at), name_len);

        // ZIP64 extended information: present fields replace the ones saturated at 0xffffffff.
        for (uint64_t x = extra_at; x + 4 <= extra_at + extra_len;) {
            const uint16_t id = r.u16(x), len = r.u16(x + 2);
            if (x + 4 + len > extra_at + extra_len) break;
            if (id == 0x0001) {
                uint64_t f = x + 4;
                auto take = [&](uint64_t& field) {
                    if (f + 8 > x + 4 + len) throw zip_error(path, "short ZIP64 field in entry '" + e.name + "'");
                    field = r.u64(f);
                    f += 8;
                };
                if (e.size == 0xffffffff) take(e.size);
                if (e.stored_size == 0xffffffff) take(e.stored_size);
                if (local == 0xffffffff) take(local);
            }
            x += 4 + len;
        }
        r.need(local, kLocalSize, ("local header of '" + e.name + "'").c_str());
        if (r.u32(local) != kLocalSig) throw zip_error(path, "bad local header signature for '" + e.name + "'");
        e.data_offset = local + kLocalSize + r.u16(local + 26) + r.u16(local + 28);
        r.need(e.data_offset, e.stored_size, ("data of entry '" + e.name + "'").c_str());
        if (e.method == 0 && e.size != e.stored_size)
            throw zip_error(path, "stored entry '" + e.name + "' has different sizes");
        if (!index_.emplace(e.name, entries_.size()).second)
            throw zip_error(path, "entry '" + e.name + "' appears twice");
        entries_.push_back(std::move(e));
        pos = next;
    }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &entries_[it->second];
}

const std::byte* ZipArchive::data(const ZipEntry& e) const {
    if (e.encrypted) throw zip_error(file_->path(), "entry '" + e.name + "' is encrypted");
    if (e.method != 0)
        throw zip_error(file_->path(), "entry '" + e.name + "' is compressed (method " + std::to_string(e.method) +
                                           "); only stored entries, as torch.save writes them, can be read");
    return file_->data() + e.data_offset;
}

}  // namespace weft
