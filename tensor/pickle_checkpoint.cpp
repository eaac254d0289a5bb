// tensor/pickle_checkpoint.cpp — restricted pickle VM + torch zip layout -> named tensor views.
//
// The VM keeps every object in an arena and refers to them by index, so self-referencing pickles
// (legal: a list appended to itself through the memo) cannot leak or recurse forever.
#include "tensor/pickle_checkpoint.h"

#include "tensor/zip_archive.h"

#include <weft/error.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

namespace weft {

namespace {

Error ckpt_error(const std::string& path, std::string msg) {
    Error e(ErrorCode::ModelLoadFailed, std::move(msg));
    e.at_path(path);
    return e;
}

enum class Kind : uint8_t { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Global, StorageRef, Tensor, Opaque };

// What an allowed global is. Anything not in the allow-list is refused when the GLOBAL opcode names it.
enum class Callable : uint8_t {
    RebuildTensorV2, RebuildParameter, StorageType, OrderedDict, Dict, List, Tuple, Set, TorchSize, Inert
};

struct Obj {
    Kind kind = Kind::None;
    int64_t i = 0;   // Bool, Int
    double f = 0;    // Float
    std::string s;   // Str, Bytes, Global (qualified name), StorageRef (key)
    std::vector<uint32_t> items;                         // Tuple, List
    std::vector<std::pair<uint32_t, uint32_t>> entries;  // Dict
    Callable callable = Callable::Inert;                 // Global
    DType dtype = DType::F32;                            // Global (StorageType), StorageRef
    Tensor tensor;                                       // Tensor
};

struct AllowedGlobal {
    const char* module;
    const char* name;
    Callable callable;
    DType dtype = DType::F32;
};

constexpr AllowedGlobal kAllowed[] = {
    {"torch._utils", "_rebuild_tensor_v2", Callable::RebuildTensorV2},
    {"torch._utils", "_rebuild_parameter", Callable::RebuildParameter},
    {"torch._utils", "_rebuild_parameter_with_state", Callable::RebuildParameter},
    {"torch", "FloatStorage", Callable::StorageType, DType::F32},
    {"torch", "HalfStorage", Callable::StorageType, DType::F16},
    {"torch", "BFloat16Storage", Callable::StorageType, DType::BF16},
    {"torch", "DoubleStorage", Callable::StorageType, DType::F64},
    {"torch", "LongStorage", Callable::StorageType, DType::I64},
    {"torch", "IntStorage", Callable::StorageType, DType::I32},
    {"torch", "ShortStorage", Callable::StorageType, DType::I16},
    {"torch", "CharStorage", Callable::StorageType, DType::I8},
    {"torch", "ByteStorage", Callable::StorageType, DType::U8},
    {"torch", "BoolStorage", Callable::StorageType, DType::BOOL},
    {"torch", "Float8_e4m3fnStorage", Callable::StorageType, DType::F8_E4M3},
    {"torch", "Float8_e5m2Storage", Callable::StorageType, DType::F8_E5M2},
    {"collections", "OrderedDict", Callable::OrderedDict},
    {"builtins", "dict", Callable::Dict},
    {"builtins", "list", Callable::List},
    {"builtins", "tuple", Callable::Tuple},
    {"builtins", "set", Callable::Set},
    {"builtins", "frozenset", Callable::Set},
    {"__builtin__", "set", Callable::Set},
    {"torch", "Size", Callable::TorchSize},
    // Inert: training leftovers in SD checkpoints; never called, they become opaque placeholders.
    {"pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint", Callable::Inert},
    {"numpy.core.multiarray", "scalar", Callable::Inert},
    {"numpy", "dtype", Callable::Inert},
    {"_codecs", "encode", Callable::Inert},
    {"torch", "device", Callable::Inert},
    {"torch", "float32", Callable::Inert},
    {"torch", "float16", Callable::Inert},
    {"torch", "bfloat16", Callable::Inert},
};

constexpr size_t kMaxObjects = size_t{1} << 26;

class Machine {
public:
    Machine(const std::string& path, const std::byte* data, size_t size, const ZipArchive& zip, std::string prefix)
        : path_(path), p_(reinterpret_cast<const uint8_t*>(data)), n_(size), zip_(zip), prefix_(std::move(prefix)) {}

    uint32_t run();
    const Obj& obj(uint32_t id) const { return objs_[id]; }

private:
    [[noreturn]] void fail(const std::string& msg) const {
        throw ckpt_error(path_, "data.pkl at byte " + std::to_string(pos_) + ": " + msg);
    }
    uint32_t make(Obj o) {
        if (objs_.size() >= kMaxObjects) fail("too many objects");
        objs_.push_back(std::move(o));
        return static_cast<uint32_t>(objs_.size() - 1);
    }
    uint32_t make_int(int64_t v) {
        Obj o;
        o.kind = Kind::Int;
        o.i = v;
        return make(std::move(o));
    }
    uint32_t make_kind(Kind k) {
        Obj o;
        o.kind = k;
        return make(std::move(o));
    }
    const uint8_t* take(size_t k) {
        if (k > n_ - pos_) fail("truncated pickle");
        const uint8_t* q = p_ + pos_;
        pos_ += k;
        return q;
    }
    uint64_t le(size_t k) {
        const uint8_t* q = take(k);
        uint64_t v = 0;
        for (size_t i = k; i-- > 0;) v = (v << 8) | q[i];
        return v;
    }
    std::string line() {
        const size_t start = pos_;
        while (pos_ < n_ && p_[pos_] != '\n') ++pos_;
        if (pos_ >= n_) fail("truncated pickle");
        ++pos_;
        return std::string(reinterpret_cast<const char*>(p_ + start), pos_ - 1 - start);
    }
    uint32_t pop() {
        if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
        const uint32_t v = stack_.back();
        stack_.pop_back();
        return v;
    }
    uint32_t& top() {
        if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
        return stack_.back();
    }
    // Pops everything above the last MARK (and the mark).
    std::vector<uint32_t> pop_mark() {
        if (marks_.empty()) fail("no MARK on the stack");
        const size_t m = marks_.back();
        marks_.pop_back();
        std::vector<uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        stack_.resize(m);
        return items;
    }
    uint32_t make_tuple(std::vector<uint32_t> items) {
        Obj o;
        o.kind = Kind::Tuple;
        o.items = std::move(items);
        return make(std::move(o));
    }
    uint32_t make_str(Kind k, const uint8_t* q, size_t len) {
        Obj o;
        o.kind = k;
        o.s.assign(reinterpret_cast<const char*>(q), len);
        return make(std::move(o));
    }
    void memo_put(uint64_t idx) {
        if (stack_.empty()) fail("memo store from an empty stack");
        memo_[idx] = stack_.back();
    }
    uint32_t memo_get(uint64_t idx) {
        const auto it = memo_.find(idx);
        if (it == memo_.end()) fail("memo index " + std::to_string(idx) + " was never stored");
        return it->second;
    }
    uint32_t global(const std::string& module, const std::string& name);
    uint32_t call(uint32_t callable, uint32_t args);
    uint32_t persistent_load(uint32_t pid);
    uint32_t rebuild_tensor(const std::vector<uint32_t>& args);
    void set_items(uint32_t dict, const std::vector<uint32_t>& kv);
    void append_items(uint32_t list, const std::vector<uint32_t>& items);
    // Bounds the work copying containers can cause, so a small pickle cannot demand quadratic memory.
    void charge(size_t items) {
        copied_ += items;
        if (copied_ > 64 * n_ + (size_t{1} << 20)) fail("pickle too complex (container copies exceed its size)");
    }
    int64_t as_int(uint32_t id, const char* what) {
        const Obj& o = objs_[id];
        if (o.kind != Kind::Int && o.kind != Kind::Bool) fail(std::string(what) + " is not an integer");
        return o.i;
    }

    const std::string& path_;
    const uint8_t* p_;
    size_t n_;
    size_t pos_ = 0;
    const ZipArchive& zip_;
    std::string prefix_;
    std::vector<Obj> objs_;
    std::vector<uint32_t> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, uint32_t> memo_;
    size_t copied_ = 0;
    struct StorageInfo {
        std::shared_ptr<Storage> storage;
        DType dtype;
    };
    std::map<std::string, StorageInfo> storages_;
};

uint32_t Machine::global(const std::string& module, const std::string& name) {
    for (const auto& a : kAllowed) {
        if (module == a.module && name == a.name) {
            Obj o;
            o.kind = Kind::Global;
            o.s = module + "." + name;
            o.callable = a.callable;
            o.dtype = a.dtype;
            return make(std::move(o));
        }
    }
    throw ckpt_error(path_, "refusing to load: the pickle references the global '" + module + "." + name +
                                "', which is not on weft's allow-list (a checkpoint should hold only tensors; "
                                "loading it with Python could run code)");
}

void Machine::set_items(uint32_t dict, const std::vector<uint32_t>& kv) {
    if (kv.size() % 2) fail("odd number of items for SETITEMS");
    Obj& d = objs_[dict];
    if (d.kind == Kind::Opaque) return;
    if (d.kind != Kind::Dict) fail("SETITEM(S) on a non-dict");
    // Appended as given; a repeated key is resolved when the dict is read (the last value wins).
    charge(kv.size());
    for (size_t i = 0; i < kv.size(); i += 2) d.entries.emplace_back(kv[i], kv[i + 1]);
}

void Machine::append_items(uint32_t list, const std::vector<uint32_t>& items) {
    Obj& l = objs_[list];
    if (l.kind == Kind::Opaque) return;
    if (l.kind != Kind::List) fail("APPEND(S) on a non-list");
    charge(items.size());
    l.items.insert(l.items.end(), items.begin(), items.end());
}

uint32_t Machine::persistent_load(uint32_t pid) {
    const Obj& t = objs_[pid];
    if (t.kind != Kind::Tuple || t.items.size() < 5 || objs_[t.items[0]].kind != Kind::Str ||
        objs_[t.items[0]].s != "storage")
        fail("unsupported persistent id (expected ('storage', type, key, location, numel))");
    const Obj& type = objs_[t.items[1]];
    if (type.kind != Kind::Global || type.callable != Callable::StorageType)
        fail("persistent id names '" + type.s + "', not a torch storage type");
    const Obj& key = objs_[t.items[2]];
    if (key.kind != Kind::Str) fail("storage key is not a string");
    const int64_t numel = as_int(t.items[4], "storage size");
    if (numel < 0) fail("negative storage size");
    const DType dtype = type.dtype;
    const std::string key_str = key.s;

    auto it = storages_.find(key_str);
    if (it == storages_.end()) {
        const std::string entry_name = prefix_ + "data/" + key_str;
        const ZipEntry* e = zip_.find(entry_name);
        if (!e) throw ckpt_error(path_, "storage '" + key_str + "' has no archive entry '" + entry_name + "'");
        const std::byte* bytes = zip_.data(*e);
        const size_t es = dtype_size(dtype);
        uint64_t need;
        if (__builtin_mul_overflow(static_cast<uint64_t>(numel), es, &need) || need > e->size)
            throw ckpt_error(path_, "storage '" + key_str + "' declares " + std::to_string(numel) + " " +
                                        dtype_name(dtype) + " elements but its entry holds " +
                                        std::to_string(e->size) + " bytes");
        std::shared_ptr<Storage> s;
        if (reinterpret_cast<uintptr_t>(bytes) % es == 0) {
            // A view of the entry's bytes; the release keeps the mapping alive.
            auto keep = zip_.file();
            s = std::make_shared<Storage>(const_cast<std::byte*>(bytes), static_cast<size_t>(need),
                                          [keep]() mutable { keep.reset(); });
        } else {
            s = Storage::allocate(static_cast<size_t>(need));
            if (need) std::memcpy(s->data(), bytes, static_cast<size_t>(need));
        }
        it = storages_.emplace(key_str, StorageInfo{std::move(s), dtype}).first;
    } else if (it->second.dtype != dtype) {
        fail("storage '" + key_str + "' is used with two element types");
    }
    Obj o;
    o.kind = Kind::StorageRef;
    o.s = key_str;
    o.dtype = dtype;
    return make(std::move(o));
}

uint32_t Machine::rebuild_tensor(const std::vector<uint32_t>& args) {
    if (args.size() < 4) fail("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
    const Obj& st = objs_[args[0]];
    if (st.kind != Kind::StorageRef) fail("_rebuild_tensor_v2: first argument is not a storage");
    const int64_t offset = as_int(args[1], "storage offset");
    const Obj& size = objs_[args[2]];
    const Obj& stride = objs_[args[3]];
    if (size.kind != Kind::Tuple || stride.kind != Kind::Tuple) fail("_rebuild_tensor_v2: size/stride not tuples");
    if (size.items.size() != stride.items.size()) fail("_rebuild_tensor_v2: size and stride differ in length");
    Shape shape;
    std::vector<int64_t> strides;
    for (size_t i = 0; i < size.items.size(); ++i) {
        shape.push_back(as_int(size.items[i], "tensor size"));
        strides.push_back(as_int(stride.items[i], "tensor stride"));
    }
    const auto& info = storages_.at(st.s);
    const size_t es = dtype_size(info.dtype);
    if (offset < 0 || static_cast<uint64_t>(offset) > info.storage->nbytes() / es)
        fail("storage offset " + std::to_string(offset) + " outside storage '" + st.s + "'");
    Obj o;
    o.kind = Kind::Tensor;
    try {
        o.tensor = Tensor(info.storage, info.dtype, shape, strides, static_cast<size_t>(offset) * es);
    } catch (const Error& e) {
        fail(std::string("tensor on storage '") + st.s + "': " + e.message());
    }
    return make(std::move(o));
}

uint32_t Machine::call(uint32_t fn, uint32_t args_id) {
    if (objs_[fn].kind == Kind::Opaque) return make_kind(Kind::Opaque);
    if (objs_[fn].kind != Kind::Global) fail("call of a non-callable object");
    const Callable callable = objs_[fn].callable;
    if (objs_[args_id].kind != Kind::Tuple) fail("call arguments are not a tuple");
    const std::vector<uint32_t> args = objs_[args_id].items;
    switch (callable) {
        case Callable::RebuildTensorV2: return rebuild_tensor(args);
        case Callable::RebuildParameter:
            if (args.empty() || objs_[args[0]].kind != Kind::Tensor) fail("_rebuild_parameter without a tensor");
            return args[0];
        case Callable::OrderedDict:
        case Callable::Dict: {
            const uint32_t d = make_kind(Kind::Dict);
            if (!args.empty()) {
                const Obj& src = objs_[args[0]];
                if (src.kind == Kind::Dict) {
                    charge(src.entries.size());
                    objs_[d].entries = src.entries;
                } else if (src.kind == Kind::List || src.kind == Kind::Tuple) {
                    const std::vector<uint32_t> pairs = src.items;
                    for (uint32_t p : pairs) {
                        const Obj& kv = objs_[p];
                        if (kv.kind != Kind::Tuple || kv.items.size() != 2) fail("dict item is not a pair");
                        set_items(d, kv.items);
                    }
                }
            }
            return d;
        }
        case Callable::List:
        case Callable::Tuple:
        case Callable::Set:
        case Callable::TorchSize: {
            Obj o;
            o.kind = callable == Callable::Tuple || callable == Callable::TorchSize ? Kind::Tuple : Kind::List;
            if (!args.empty() && (objs_[args[0]].kind == Kind::List || objs_[args[0]].kind == Kind::Tuple)) {
                charge(objs_[args[0]].items.size());
                o.items = objs_[args[0]].items;
            }
            return make(std::move(o));
        }
        case Callable::StorageType: fail("a storage type is called directly");
        case Callable::Inert: return make_kind(Kind::Opaque);
    }
    fail("unknown callable");
}

uint32_t Machine::run() {
    if (n_ >= 2 && p_[0] == 0x80 && p_[1] > 5) fail("unsupported pickle protocol " + std::to_string(p_[1]));
    while (true) {
        const uint8_t op = *take(1);
        switch (op) {
            case 0x80: take(1); break;                 // PROTO
            case 0x95: take(8); break;                 // FRAME (length is advisory)
            case '.': {                                // STOP
                if (stack_.empty()) fail("STOP with an empty stack");
                return stack_.back();
            }
            case '(': marks_.push_back(stack_.size()); break;  // MARK
            case '}': stack_.push_back(make_kind(Kind::Dict)); break;
            case ']': stack_.push_back(make_kind(Kind::List)); break;
            case 0x8f: stack_.push_back(make_kind(Kind::List)); break;  // EMPTY_SET (kept as a list)
            case ')': stack_.push_back(make_tuple({})); break;
            case 't': stack_.push_back(make_tuple(pop_mark())); break;
            case 0x91: stack_.push_back(make_tuple(pop_mark())); break;  // FROZENSET
            case 0x85: { const uint32_t a = pop(); stack_.push_back(make_tuple({a})); break; }
            case 0x86: { const uint32_t b = pop(), a = pop(); stack_.push_back(make_tuple({a, b})); break; }
            case 0x87: {
                const uint32_t c = pop(), b = pop(), a = pop();
                stack_.push_back(make_tuple({a, b, c}));
                break;
            }
            case 'q': memo_put(le(1)); break;   // BINPUT
            case 'r': memo_put(le(4)); break;   // LONG_BINPUT
            case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
            case 'h': stack_.push_back(memo_get(le(1))); break;  // BINGET
            case 'j': stack_.push_back(memo_get(le(4))); break;  // LONG_BINGET
            case 'J': stack_.push_back(make_int(static_cast<int32_t>(le(4)))); break;  // BININT
            case 'K': stack_.push_back(make_int(static_cast<int64_t>(le(1)))); break;  // BININT1
            case 'M': stack_.push_back(make_int(static_cast<int64_t>(le(2)))); break;  // BININT2
            case 0x8a:                                                                 // LONG1
            case 0x8b: {                                                               // LONG4
                const uint64_t k = op == 0x8a ? le(1) : le(4);
                if (k > 8) fail("integer wider than 64 bits");
                const uint8_t* q = take(static_cast<size_t>(k));
                uint64_t v = 0;
                for (size_t i = k; i-- > 0;) v = (v << 8) | q[i];
                if (k > 0 && k < 8 && (q[k - 1] & 0x80)) v |= ~uint64_t{0} << (8 * k);  // sign-extend
                stack_.push_back(make_int(static_cast<int64_t>(v)));
                break;
            }
            case 'G': {  // BINFLOAT, big-endian
                const uint8_t* q = take(8);
                uint64_t v = 0;
                for (int i = 0; i < 8; ++i) v = (v << 8) | q[i];
                Obj o;
                o.kind = Kind::Float;
                o.f = std::bit_cast<double>(v);
                stack_.push_back(make(std::move(o)));
                break;
            }
            case 'X': case 0x8c: case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                const uint64_t k = le(op == 'X' ? 4 : op == 0x8c ? 1 : 8);
                if (k > n_ - pos_) fail("truncated pickle");
                stack_.push_back(make_str(Kind::Str, take(static_cast<size_t>(k)), static_cast<size_t>(k)));
                break;
            }
            case 'B': case 'C': case 0x8e: case 0x96:  // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
            case 'T': case 'U': {                       // BINSTRING, SHORT_BINSTRING (py2 str)
                const size_t w = (op == 'C' || op == 'U') ? 1 : (op == 0x8e || op == 0x96) ? 8 : 4;
                const uint64_t k = le(w);
                if (k > n_ - pos_) fail("truncated pickle");
                const Kind kind = (op == 'T' || op == 'U') ? Kind::Str : Kind::Bytes;
                stack_.push_back(make_str(kind, take(static_cast<size_t>(k)), static_cast<size_t>(k)));
                break;
            }
            case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
                Obj o;
                o.kind = Kind::Bool;
                o.i = op == 0x88;
                stack_.push_back(make(std::move(o)));
                break;
            }
            case 'N': stack_.push_back(make_kind(Kind::None)); break;
            case 'c': {  // GLOBAL "module\nname\n"
                const std::string module = line();
                const std::string name = line();
                stack_.push_back(global(module, name));
                break;
            }
            case 0x93: {  // STACK_GLOBAL
                const uint32_t name = pop(), module = pop();
                if (objs_[name].kind != Kind::Str || objs_[module].kind != Kind::Str)
                    fail("STACK_GLOBAL needs two strings");
                stack_.push_back(global(objs_[module].s, objs_[name].s));
                break;
            }
            case 'R': {  // REDUCE
                const uint32_t args = pop(), fn = pop();
                stack_.push_back(call(fn, args));
                break;
            }
            case 0x81: {  // NEWOBJ
                const uint32_t args = pop(), cls = pop();
                stack_.push_back(call(cls, args));
                break;
            }
            case 0x92: {  // NEWOBJ_EX
                pop();  // kwargs: ignored, nothing is constructed for real
                const uint32_t args = pop(), cls = pop();
                stack_.push_back(call(cls, args));
                break;
            }
            case 'b': {  // BUILD sets attributes (a state dict's _metadata, say): not needed, ignored
                pop();
                top();
                break;
            }
            case 's': {  // SETITEM
                const uint32_t v = pop(), k = pop();
                set_items(top(), {k, v});
                break;
            }
            case 'u': {  // SETITEMS
                const std::vector<uint32_t> kv = pop_mark();
                set_items(top(), kv);
                break;
            }
            case 'a': {  // APPEND
                const uint32_t v = pop();
                append_items(top(), {v});
                break;
            }
            case 'e': case 0x90: {  // APPENDS, ADDITEMS
                const std::vector<uint32_t> items = pop_mark();
                append_items(top(), items);
                break;
            }
            case 'Q': stack_.push_back(persistent_load(pop())); break;  // BINPERSID
            case '0': pop(); break;                                     // POP
            case '1': pop_mark(); break;                                // POP_MARK
            case '2': { const uint32_t v = top(); stack_.push_back(v); break; }  // DUP
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                fail(std::string("unsupported pickle opcode ") + hex);
            }
        }
    }
}

struct Flattener {
    const Machine& m;
    std::vector<std::pair<std::string, Tensor>>& out;
    std::unordered_map<std::string, size_t> position;

    static std::optional<std::string> key_string(const Obj& k) {
        if (k.kind == Kind::Str) return k.s;
        if (k.kind == Kind::Int) return std::to_string(k.i);
        return std::nullopt;
    }
    void walk(uint32_t dict, const std::string& prefix, int depth) {
        if (depth > 16) return;
        for (const auto& [k, v] : m.obj(dict).entries) {
            const auto key = key_string(m.obj(k));
            if (!key) continue;
            const Obj& val = m.obj(v);
            if (val.kind == Kind::Tensor) {
                // A repeated key keeps its first position and its last value, as a Python dict does.
                const auto [it, fresh] = position.emplace(prefix + *key, out.size());
                if (fresh) out.emplace_back(prefix + *key, val.tensor);
                else out[it->second].second = val.tensor;
            } else if (val.kind == Kind::Dict) {
                walk(v, prefix + *key + ".", depth + 1);
            }
        }
    }
};

std::string scalar_string(const Obj& o) {
    switch (o.kind) {
        case Kind::Int: return std::to_string(o.i);
        case Kind::Bool: return o.i ? "True" : "False";
        case Kind::Float: {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.17g", o.f);
            return buf;
        }
        default: return o.s;
    }
}

}  // namespace

PickleCheckpoint read_pickle_checkpoint(const std::string& path) { return read_pickle_checkpoint(MappedFile::open(path)); }

PickleCheckpoint read_pickle_checkpoint(std::shared_ptr<MappedFile> file) {
    const std::string path = file->path();
    if (!ZipArchive::looks_like_zip(*file)) {
        const auto* b = reinterpret_cast<const uint8_t*>(file->data());
        if (file->size() >= 2 && b[0] == 0x80 && b[1] <= 5)
            throw ckpt_error(path, "legacy (pre-zip, PyTorch < 1.6) checkpoint format is not supported; "
                                   "re-save it as .safetensors");
        throw ckpt_error(path, "not a PyTorch checkpoint (no zip archive)");
    }
    ZipArchive zip(file);
    // The pickle is "<stem>/data.pkl" for one top-level folder <stem>.
    const ZipEntry* pkl = nullptr;
    std::string prefix;
    for (const auto& e : zip.entries()) {
        const std::string suffix = "data.pkl";
        if (e.name.size() < suffix.size() || e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const std::string pre = e.name.substr(0, e.name.size() - suffix.size());
        if (!pre.empty() && (pre.back() != '/' || pre.find('/') != pre.size() - 1)) continue;
        pkl = &e;
        prefix = pre;
        break;
    }
    if (!pkl) throw ckpt_error(path, "zip archive has no data.pkl: not a torch.save checkpoint");

    if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
        const std::string v(reinterpret_cast<const char*>(zip.data(*order)), std::min<uint64_t>(order->size, 3));
        if (v == "big") throw ckpt_error(path, "big-endian checkpoint; only little-endian storages are supported");
    }
    Machine m(path, zip.data(*pkl), static_cast<size_t>(pkl->size), zip, prefix);
    const uint32_t root = m.run();
    if (m.obj(root).kind != Kind::Dict)
        throw ckpt_error(path, "the checkpoint's top-level object is not a dict of tensors");

    PickleCheckpoint out;
    out.path = path;
    uint32_t sd = root;
    const Obj& top = m.obj(root);
    const uint32_t* only_dict = nullptr;
    for (const auto& [k, v] : top.entries) {
        const Obj& key = m.obj(k);
        const Obj& val = m.obj(v);
        if (key.kind == Kind::Str && key.s == "state_dict" && val.kind == Kind::Dict) sd = v;
        if (key.kind == Kind::Str &&
            (val.kind == Kind::Int || val.kind == Kind::Float || val.kind == Kind::Str || val.kind == Kind::Bool))
            out.metadata[key.s] = scalar_string(val);
    }
    if (sd == root && top.entries.size() == 1 && m.obj(top.entries[0].second).kind == Kind::Dict)
        only_dict = &top.entries[0].second;
    if (only_dict) sd = *only_dict;
    Flattener f{m, out.tensors, {}};
    f.walk(sd, "", 0);
    return out;
}

}  // namespace weft
