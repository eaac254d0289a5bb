// tensor/safetensors.cpp — validated safetensors reader over a mapping, and an atomic writer.
#include "tensor/safetensors.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <unistd.h>

namespace weft {

namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // the reference reader's bound

struct FormatDType {
    const char* name;
    unsigned bits;
};

// Every dtype the format defines, with its width in bits.
constexpr FormatDType kFormatDTypes[] = {
    {"BOOL", 8},   {"F4", 4},      {"F6_E2M3", 6},     {"F6_E3M2", 6},     {"U8", 8},   {"I8", 8},
    {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8},    {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8},
    {"I16", 16},   {"U16", 16},    {"F16", 16},        {"BF16", 16},       {"I32", 32}, {"U32", 32},
    {"F32", 32},   {"C64", 64},    {"F64", 64},        {"I64", 64},        {"U64", 64},
};

Error file_error(const std::string& path, std::string msg) {
    Error e(ErrorCode::ModelLoadFailed, std::move(msg));
    e.at_path(path);
    return e;
}

uint64_t read_u64_le(const std::byte* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
    return v;
}

bool as_u64(const nlohmann::json& j, uint64_t& out) {
    if (j.is_number_unsigned()) {
        out = j.get<uint64_t>();
        return true;
    }
    if (j.is_number_integer() && j.get<int64_t>() >= 0) {
        out = static_cast<uint64_t>(j.get<int64_t>());
        return true;
    }
    return false;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : SafetensorsFile(MappedFile::open(path)) {}

SafetensorsFile::SafetensorsFile(std::shared_ptr<MappedFile> file) : file_(std::move(file)) { parse(); }

void SafetensorsFile::parse() {
    const std::string& path = file_->path();
    const size_t size = file_->size();
    if (size < 8)
        throw file_error(path, "not a safetensors file: " + std::to_string(size) + " bytes is too short for a header");
    const uint64_t n = read_u64_le(file_->data());
    if (n > kMaxHeader)
        throw file_error(path, "not a safetensors file: header length " + std::to_string(n) +
                                   " exceeds the format's limit of 100000000 bytes");
    if (n > size - 8)
        throw file_error(path, "not a safetensors file or truncated: header length " + std::to_string(n) +
                                   " exceeds the " + std::to_string(size - 8) + " bytes after the length field");
    const char* hb = reinterpret_cast<const char*>(file_->data() + 8);

    // Duplicate names are an error in the format; the JSON parser would silently keep one.
    std::set<std::string> seen_keys;
    std::string duplicate;
    auto on_event = [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
        if (ev == nlohmann::json::parse_event_t::key && depth == 1 && duplicate.empty() &&
            !seen_keys.insert(parsed.get<std::string>()).second)
            duplicate = parsed.get<std::string>();
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(hb, hb + n, on_event);
    } catch (const nlohmann::json::exception& e) {
        throw file_error(path, std::string("invalid safetensors header: not valid JSON (") + e.what() + ")");
    }
    if (!header.is_object()) throw file_error(path, "invalid safetensors header: not a JSON object");
    if (!duplicate.empty()) throw file_error(path, "invalid safetensors header: tensor '" + duplicate + "' appears twice");

    const size_t data_start = 8 + static_cast<size_t>(n);
    const uint64_t data_size = size - data_start;
    for (const auto& [key, val] : header.items()) {
        if (key == "__metadata__") {
            if (val.is_null()) continue;
            if (!val.is_object()) throw file_error(path, "invalid safetensors header: __metadata__ is not an object");
            for (const auto& [mk, mv] : val.items()) {
                if (!mv.is_string())
                    throw file_error(path, "invalid safetensors header: __metadata__ value '" + mk + "' is not a string");
                metadata_[mk] = mv.get<std::string>();
            }
            continue;
        }
        const std::string where = "tensor '" + key + "': ";
        if (!val.is_object()) throw file_error(path, where + "header entry is not an object");
        const auto dt = val.find("dtype"), sh = val.find("shape"), off = val.find("data_offsets");
        if (dt == val.end() || !dt->is_string()) throw file_error(path, where + "missing or non-string \"dtype\"");
        if (sh == val.end() || !sh->is_array()) throw file_error(path, where + "missing or non-array \"shape\"");
        if (off == val.end() || !off->is_array() || off->size() != 2)
            throw file_error(path, where + "\"data_offsets\" must be an array [begin, end]");

        SafetensorsEntry e;
        e.name = key;
        e.dtype_name = dt->get<std::string>();
        const FormatDType* fd = nullptr;
        for (const auto& f : kFormatDTypes)
            if (e.dtype_name == f.name) fd = &f;
        if (!fd) throw file_error(path, where + "unknown dtype \"" + e.dtype_name + "\"");
        uint64_t numel = 1;
        for (const auto& d : *sh) {
            uint64_t v;
            if (!as_u64(d, v) || v > static_cast<uint64_t>(INT64_MAX))
                throw file_error(path, where + "shape " + sh->dump() + " has an entry that is not a non-negative integer");
            if (__builtin_mul_overflow(numel, v, &numel))
                throw file_error(path, where + "shape " + sh->dump() + " overflows");
            e.shape.push_back(static_cast<int64_t>(v));
        }
        uint64_t bits;
        if (__builtin_mul_overflow(numel, static_cast<uint64_t>(fd->bits), &bits) || numel > static_cast<uint64_t>(INT64_MAX))
            throw file_error(path, where + "shape " + sh->dump() + " overflows");
        if (bits % 8 != 0)
            throw file_error(path, where + "shape " + sh->dump() + " of " + e.dtype_name + " does not fill whole bytes");
        uint64_t b, en;
        if (!as_u64((*off)[0], b) || !as_u64((*off)[1], en) || en < b)
            throw file_error(path, where + "invalid data_offsets " + off->dump());
        if (en - b != bits / 8)
            throw file_error(path, where + "data_offsets " + off->dump() + " span " + std::to_string(en - b) +
                                       " bytes but " + e.dtype_name + " " + sh->dump() + " needs " +
                                       std::to_string(bits / 8));
        if (en > data_size)
            throw file_error(path, where + "data_offsets " + off->dump() + " run past the end of the data section (" +
                                       std::to_string(data_size) + " bytes; truncated file?)");
        e.begin = data_start + static_cast<size_t>(b);
        e.end = data_start + static_cast<size_t>(en);
        if (fd->bits >= 8) {
            try {
                e.dtype = dtype_from_name(e.dtype_name);
            } catch (const Error&) {
                // A format dtype weft has no DType for: listed, but tensor() refuses it.
            }
        }
        entries_.push_back(std::move(e));
    }

    // The tensors must tile the data section exactly: sorted by offset, each starting where the
    // previous one ended, the last ending at end of file.
    std::sort(entries_.begin(), entries_.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
        return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });
    size_t expected = data_start;
    const SafetensorsEntry* prev = nullptr;
    for (const auto& e : entries_) {
        if (e.begin < expected)
            throw file_error(path, "tensor '" + e.name + "': data overlaps tensor '" + (prev ? prev->name : "") + "'");
        if (e.begin > expected)
            throw file_error(path, "tensor '" + e.name + "': " + std::to_string(e.begin - expected) +
                                       " unused bytes before its data (offsets must leave no hole)");
        expected = e.end;
        prev = &e;
    }
    if (expected != size)
        throw file_error(path, std::to_string(size - expected) + " bytes after the last tensor's data (the data "
                               "section must end where the last tensor ends)");
    for (size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].name] = i;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) throw file_error(path(), "no tensor named '" + name + "'");
    return entries_[it->second];
}

Tensor SafetensorsFile::tensor(const std::string& name) const { return tensor(entry(name)); }

Tensor SafetensorsFile::tensor(const SafetensorsEntry& e) const {
    if (!e.dtype)
        throw file_error(path(), "tensor '" + e.name + "' has dtype " + e.dtype_name + ", which weft cannot load");
    const size_t es = dtype_size(*e.dtype);
    const auto addr = reinterpret_cast<uintptr_t>(file_->data() + e.begin);
    if (addr % es != 0) {
        // Misaligned elements (a writer that did not pad): copy rather than hand out a misaligned view.
        Tensor t = Tensor::zeros(e.shape, *e.dtype);
        if (e.end > e.begin) std::memcpy(t.raw_data(), file_->data() + e.begin, e.end - e.begin);
        return t;
    }
    return Tensor(file_->storage(), *e.dtype, e.shape, contiguous_strides(e.shape), e.begin);
}

// ---- writer -------------------------------------------------------------------------------------

namespace {

void write_all(int fd, const void* p, size_t n, const std::string& path) {
    const auto* c = static_cast<const char*>(p);
    while (n > 0) {
        const ssize_t w = ::write(fd, c, std::min<size_t>(n, size_t{1} << 30));
        if (w < 0) {
            if (errno == EINTR) continue;
            throw file_error(path, std::string("write failed: ") + std::strerror(errno));
        }
        c += w;
        n -= static_cast<size_t>(w);
    }
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    // Widest dtypes first, then by name, so that every tensor's data is aligned to its element size.
    std::vector<const std::pair<std::string, Tensor>*> order;
    std::set<std::string> names;
    for (const auto& item : tensors) {
        if (!item.second.defined()) throw file_error(path, "tensor '" + item.first + "' is undefined");
        if (item.first == "__metadata__") throw file_error(path, "'__metadata__' is reserved and cannot name a tensor");
        if (!names.insert(item.first).second) throw file_error(path, "tensor '" + item.first + "' given twice");
        order.push_back(&item);
    }
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) {
        const size_t sa = dtype_size(a->second.dtype()), sb = dtype_size(b->second.dtype());
        return sa != sb ? sa > sb : a->first < b->first;
    });

    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json m = nlohmann::ordered_json::object();
        for (const auto& [k, v] : metadata) m[k] = v;
        header["__metadata__"] = std::move(m);
    }
    uint64_t offset = 0;
    for (const auto* item : order) {
        const Tensor& t = item->second;
        header[item->first] = {{"dtype", dtype_name(t.dtype())},
                               {"shape", t.shape()},
                               {"data_offsets", {offset, offset + t.nbytes()}}};
        offset += t.nbytes();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::byte len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<std::byte>((text.size() >> (8 * i)) & 0xff);

    static std::atomic<unsigned> counter{0};
    const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw file_error(path, "cannot create " + tmp + ": " + std::strerror(errno));
    try {
        write_all(fd, len, 8, path);
        write_all(fd, text.data(), text.size(), path);
        for (const auto* item : order) {
            const Tensor c = item->second.contiguous();
            if (c.nbytes()) write_all(fd, c.raw_data(), c.nbytes(), path);
        }
        if (::fsync(fd) != 0) throw file_error(path, std::string("fsync failed: ") + std::strerror(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw file_error(path, std::string("close failed: ") + std::strerror(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw file_error(path, std::string("cannot rename temporary file: ") + std::strerror(err));
    }
}

}  // namespace weft
