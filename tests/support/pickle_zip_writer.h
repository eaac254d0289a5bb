// tests/support/pickle_zip_writer.h — builds torch.save-style files by hand for the reader tests
// (no Python here): a protocol-2 pickle emitter and a stored-entry zip writer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weft::test {

/// Emits pickle opcodes; each method appends one opcode with its operand.
class PickleWriter {
public:
    PickleWriter& proto(uint8_t v = 2);
    PickleWriter& global(const std::string& module, const std::string& name);   // GLOBAL 'c'
    PickleWriter& stack_global(const std::string& module, const std::string& name);  // strings + 0x93
    PickleWriter& mark();
    PickleWriter& empty_dict();
    PickleWriter& empty_list();
    PickleWriter& empty_tuple();
    PickleWriter& tuple();   // from MARK
    PickleWriter& tuple1();
    PickleWriter& tuple2();
    PickleWriter& tuple3();
    PickleWriter& integer(int64_t v);  // BININT1 / BININT2 / BININT / LONG1, as pickle chooses
    PickleWriter& binfloat(double v);
    PickleWriter& str(const std::string& s);  // BINUNICODE
    PickleWriter& boolean(bool v);
    PickleWriter& none();
    PickleWriter& reduce();
    PickleWriter& build();
    PickleWriter& newobj();
    PickleWriter& setitem();
    PickleWriter& setitems();
    PickleWriter& append();
    PickleWriter& appends();
    PickleWriter& binpersid();
    PickleWriter& binput(uint8_t idx);
    PickleWriter& binget(uint8_t idx);
    PickleWriter& stop();
    PickleWriter& raw(const std::string& bytes);
    const std::string& bytes() const { return out_; }

private:
    std::string out_;
};

/// One tensor of a hand-made state dict.
struct FakeTensor {
    std::string name;
    std::string storage_type;  // "FloatStorage", "HalfStorage", ...
    std::string key;           // storage key: archive entry "<stem>/data/<key>"
    int64_t storage_numel;
    int64_t offset;            // in elements
    std::vector<int64_t> size, stride;
    bool parameter = false;    // wrap in torch._utils._rebuild_parameter
};

/// The data.pkl of `{"state_dict": {name: tensor, ...}, "global_step": 7}` (or the bare dict when
/// `wrap` is false), written like torch.save does with protocol 2 and a memo.
std::string torch_state_dict_pickle(const std::vector<FakeTensor>& tensors, bool wrap = true);

/// A zip of stored entries whose data start at 64-byte aligned offsets (as torch writes them).
/// `zip64` forces ZIP64 records even for small files.
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& entries, bool zip64 = false);

void write_file(const std::string& path, const std::string& bytes);

}  // namespace weft::test
