// tests/support/pickle_zip_writer.cpp — hand-made torch.save files for the checkpoint reader tests.
#include "pickle_zip_writer.h"

#include <bit>
#include <fstream>
#include <stdexcept>

namespace weft::test {

namespace {

void put_le(std::string& out, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t crc32(const std::string& s) {
    uint32_t c = 0xffffffffu;
    for (unsigned char ch : s) {
        c ^= ch;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

}  // namespace

PickleWriter& PickleWriter::proto(uint8_t v) { out_ += '\x80'; out_ += static_cast<char>(v); return *this; }
PickleWriter& PickleWriter::global(const std::string& m, const std::string& n) {
    out_ += 'c' + m + '\n' + n + '\n';
    return *this;
}
PickleWriter& PickleWriter::stack_global(const std::string& m, const std::string& n) {
    str(m);
    str(n);
    out_ += '\x93';
    return *this;
}
PickleWriter& PickleWriter::mark() { out_ += '('; return *this; }
PickleWriter& PickleWriter::empty_dict() { out_ += '}'; return *this; }
PickleWriter& PickleWriter::empty_list() { out_ += ']'; return *this; }
PickleWriter& PickleWriter::empty_tuple() { out_ += ')'; return *this; }
PickleWriter& PickleWriter::tuple() { out_ += 't'; return *this; }
PickleWriter& PickleWriter::tuple1() { out_ += '\x85'; return *this; }
PickleWriter& PickleWriter::tuple2() { out_ += '\x86'; return *this; }
PickleWriter& PickleWriter::tuple3() { out_ += '\x87'; return *this; }
PickleWriter& PickleWriter::integer(int64_t v) {
    if (v >= 0 && v < 256) {
        out_ += 'K';
        put_le(out_, static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
        out_ += 'M';
        put_le(out_, static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        out_ += 'J';
        put_le(out_, static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
        out_ += '\x8a';
        out_ += '\x08';
        put_le(out_, static_cast<uint64_t>(v), 8);
    }
    return *this;
}
PickleWriter& PickleWriter::binfloat(double v) {
    out_ += 'G';
    const uint64_t b = std::bit_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((b >> (8 * i)) & 0xff));
    return *this;
}
PickleWriter& PickleWriter::str(const std::string& s) {
    out_ += 'X';
    put_le(out_, s.size(), 4);
    out_ += s;
    return *this;
}
PickleWriter& PickleWriter::boolean(bool v) { out_ += v ? '\x88' : '\x89'; return *this; }
PickleWriter& PickleWriter::none() { out_ += 'N'; return *this; }
PickleWriter& PickleWriter::reduce() { out_ += 'R'; return *this; }
PickleWriter& PickleWriter::build() { out_ += 'b'; return *this; }
PickleWriter& PickleWriter::newobj() { out_ += '\x81'; return *this; }
PickleWriter& PickleWriter::setitem() { out_ += 's'; return *this; }
PickleWriter& PickleWriter::setitems() { out_ += 'u'; return *this; }
PickleWriter& PickleWriter::append() { out_ += 'a'; return *this; }
PickleWriter& PickleWriter::appends() { out_ += 'e'; return *this; }
PickleWriter& PickleWriter::binpersid() { out_ += 'Q'; return *this; }
PickleWriter& PickleWriter::binput(uint8_t i) { out_ += 'q'; out_ += static_cast<char>(i); return *this; }
PickleWriter& PickleWriter::binget(uint8_t i) { out_ += 'h'; out_ += static_cast<char>(i); return *this; }
PickleWriter& PickleWriter::stop() { out_ += '.'; return *this; }
PickleWriter& PickleWriter::raw(const std::string& b) { out_ += b; return *this; }

std::string torch_state_dict_pickle(const std::vector<FakeTensor>& tensors, bool wrap) {
    PickleWriter w;
    int memo = 0;
    auto put = [&] {
        if (memo < 256) {
            w.binput(static_cast<uint8_t>(memo));
        } else {
            w.raw("r");
            std::string idx;
            put_le(idx, static_cast<uint64_t>(memo), 4);
            w.raw(idx);
        }
        ++memo;
    };
    auto ints = [&](const std::vector<int64_t>& v) {
        if (v.empty()) {
            w.empty_tuple();
        } else if (v.size() <= 3) {
            for (int64_t x : v) w.integer(x);
            if (v.size() == 1) w.tuple1();
            if (v.size() == 2) w.tuple2();
            if (v.size() == 3) w.tuple3();
        } else {
            w.mark();
            for (int64_t x : v) w.integer(x);
            w.tuple();
        }
        put();
    };
    w.proto(2);
    if (wrap) {
        w.empty_dict();
        put();
        w.mark();
        w.str("state_dict");
        put();
    }
    // state dicts are OrderedDicts: REDUCE(OrderedDict, ()), items by SETITEMS, attributes by BUILD.
    w.global("collections", "OrderedDict");
    put();
    w.empty_tuple().reduce();
    put();
    w.mark();
    for (const auto& t : tensors) {
        w.str(t.name);
        put();
        if (t.parameter) {
            w.global("torch._utils", "_rebuild_parameter");
            put();
        }
        w.global("torch._utils", "_rebuild_tensor_v2");
        put();
        w.mark();                                         // args of _rebuild_tensor_v2
        w.mark().str("storage");                          // persistent id tuple
        put();
        w.global("torch", t.storage_type);
        put();
        w.str(t.key);
        put();
        w.str("cpu");
        put();
        w.integer(t.storage_numel).tuple();
        put();
        w.binpersid();
        w.integer(t.offset);
        ints(t.size);
        ints(t.stride);
        w.boolean(false);
        w.global("collections", "OrderedDict");
        put();
        w.empty_tuple().reduce();
        put();
        w.tuple();
        put();
        w.reduce();
        put();
        if (t.parameter) {
            w.boolean(true);
            w.global("collections", "OrderedDict");
            put();
            w.empty_tuple().reduce();
            put();
            w.tuple3().reduce();
            put();
        }
    }
    w.setitems();
    // The _metadata attribute torch attaches to state dicts.
    w.empty_dict();
    put();
    w.str("_metadata").empty_dict().setitem();
    w.build();
    if (wrap) {
        w.str("global_step").integer(7);
        w.str("epoch").integer(2);
        w.setitems();
    }
    w.stop();
    return w.bytes();
}

std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& entries, bool zip64) {
    std::string out, central;
    for (const auto& [name, data] : entries) {
        const uint64_t local = out.size();
        const uint32_t crc = crc32(data);
        std::string extra;
        if (zip64) {
            put_le(extra, 0x0001, 2);
            put_le(extra, 16, 2);
            put_le(extra, data.size(), 8);
            put_le(extra, data.size(), 8);
        }
        // Pad with an extra field so the data starts 64-byte aligned, as torch does.
        const size_t before = local + 30 + name.size() + extra.size() + 4;
        const size_t pad = (64 - before % 64) % 64;
        put_le(extra, 0x4246, 2);
        put_le(extra, pad, 2);
        extra.append(pad, 'Z');

        put_le(out, 0x04034b50, 4);
        put_le(out, zip64 ? 45 : 20, 2);
        put_le(out, 0, 2);  // flags
        put_le(out, 0, 2);  // stored
        put_le(out, 0, 4);  // time, date
        put_le(out, crc, 4);
        put_le(out, zip64 ? 0xffffffffu : data.size(), 4);
        put_le(out, zip64 ? 0xffffffffu : data.size(), 4);
        put_le(out, name.size(), 2);
        put_le(out, extra.size(), 2);
        out += name;
        out += extra;
        if (out.size() % 64 != 0) throw std::logic_error("stored_zip: misaligned entry data");
        out += data;

        std::string cextra;
        if (zip64) {
            put_le(cextra, 0x0001, 2);
            put_le(cextra, 24, 2);
            put_le(cextra, data.size(), 8);
            put_le(cextra, data.size(), 8);
            put_le(cextra, local, 8);
        }
        put_le(central, 0x02014b50, 4);
        put_le(central, zip64 ? 45 : 20, 2);
        put_le(central, zip64 ? 45 : 20, 2);
        put_le(central, 0, 2);
        put_le(central, 0, 2);
        put_le(central, 0, 4);
        put_le(central, crc, 4);
        put_le(central, zip64 ? 0xffffffffu : data.size(), 4);
        put_le(central, zip64 ? 0xffffffffu : data.size(), 4);
        put_le(central, name.size(), 2);
        put_le(central, cextra.size(), 2);
        put_le(central, 0, 2);  // comment
        put_le(central, 0, 2);  // disk
        put_le(central, 0, 2);  // internal attributes
        put_le(central, 0, 4);  // external attributes
        put_le(central, zip64 ? 0xffffffffu : local, 4);
        central += name;
        central += cextra;
    }
    const uint64_t cd_off = out.size();
    out += central;
    if (zip64) {
        const uint64_t rec = out.size();
        put_le(out, 0x06064b50, 4);
        put_le(out, 44, 8);
        put_le(out, 45, 2);
        put_le(out, 45, 2);
        put_le(out, 0, 4);
        put_le(out, 0, 4);
        put_le(out, entries.size(), 8);
        put_le(out, entries.size(), 8);
        put_le(out, central.size(), 8);
        put_le(out, cd_off, 8);
        put_le(out, 0x07064b50, 4);
        put_le(out, 0, 4);
        put_le(out, rec, 8);
        put_le(out, 1, 4);
    }
    put_le(out, 0x06054b50, 4);
    put_le(out, 0, 2);
    put_le(out, 0, 2);
    put_le(out, zip64 ? 0xffff : entries.size(), 2);
    put_le(out, zip64 ? 0xffff : entries.size(), 2);
    put_le(out, zip64 ? 0xffffffffu : central.size(), 4);
    put_le(out, zip64 ? 0xffffffffu : cd_off, 4);
    put_le(out, 0, 2);
    return out;
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace weft::test
