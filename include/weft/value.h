// include/weft/value.h — the values that flow along workflow links and sit in node inputs.
//
// A Value is one of: null, BOOLEAN, INT, FLOAT, STRING, a list, a dictionary (JSON-like data, UI
// output), a Tensor (IMAGE [B,H,W,C] in 0..1, MASK [B,H,W]), a Latent, a Conditioning, a Link
// (a reference to another node's output, as in workflow inputs), an ExecutionBlocker, or an Object:
// any C++ type an application or a node library defines (MODEL, CLIP, VAE, ...), shared by
// reference and never copied.
//
//   weft::Value steps = 20;                         // INT
//   weft::Value img = weft::Tensor::zeros({1, 8, 8, 3});
//   auto model = weft::Value::object(std::make_shared<const MyModel>(), "MY_MODEL");
//   std::shared_ptr<const MyModel> m = model.as_object<MyModel>();
//
// Values are immutable handles: copying is cheap (tensors, lists and objects are shared).
// Thread safety: a Value may be read from many threads at once.
#pragma once

#include <weft/tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <variant>
#include <vector>

namespace weft {

class Value;
using List = std::vector<Value>;
using Dict = std::map<std::string, Value>;

/// A reference to output `slot` of node `node_id`; in API-format JSON: ["node_id", slot].
struct Link {
    std::string node_id;
    int slot = 0;
    bool operator==(const Link&) const = default;
};

/// ComfyUI's LATENT: {"samples": [B,C,H,W], "noise_mask"?, "batch_index"?}.
struct Latent {
    Tensor samples;                    // F32 [B, C, H, W]
    Tensor noise_mask;                 // optional (undefined when absent)
    std::vector<int64_t> batch_index;  // optional (empty when absent)
};

/// One entry of ComfyUI's CONDITIONING list: an embedding plus named extras (pooled_output, area,
/// strength, mask, start_percent, ...).
struct ConditioningItem {
    Tensor embedding;                  // F32 [B, tokens, dim]
    std::shared_ptr<const Dict> extras;  // null when there are none
};
using Conditioning = std::vector<ConditioningItem>;

/// Returned as an output, blocks each downstream node call that receives it (ComfyUI's
/// ExecutionBlocker). With a message, the run reports it as an error event and goes on.
struct Blocker {
    std::optional<std::string> message;
};

/// A type-erased, shared, immutable C++ object with its workflow type name ("MODEL", "VAE", ...).
struct Object {
    std::shared_ptr<const void> ptr;
    std::type_index type = typeid(void);
    std::string type_name;
    size_t bytes = 0;  // memory it holds, for the cache's RAM budget (0 when unknown)
};

class Value {
public:
    enum class Kind { Null, Bool, Int, Float, String, List, Dict, Tensor, Latent, Conditioning, Link, Blocker, Object };

    Value() = default;
    Value(std::nullptr_t) {}
    Value(bool v) : v_(v) {}
    Value(int v) : v_(int64_t{v}) {}
    Value(int64_t v) : v_(v) {}
    /// Values above INT64_MAX (e.g. ComfyUI seeds up to 2^64-1) keep their unsigned value.
    Value(uint64_t v);
    Value(double v) : v_(v) {}
    Value(const char* v) : v_(std::string(v)) {}
    Value(std::string v) : v_(std::move(v)) {}
    Value(List v);
    Value(Dict v);
    Value(Tensor v) : v_(std::move(v)) {}
    Value(Latent v);
    Value(Conditioning v);
    Value(Link v) : v_(std::move(v)) {}
    Value(Blocker v) : v_(std::move(v)) {}
    Value(Object v) : v_(std::move(v)) {}

    /// Wraps a shared C++ object. `type_name` is the workflow type ("MODEL"); `bytes` is what it
    /// holds in memory, so a RAM-budget cache can account for it.
    template <class T>
    static Value object(std::shared_ptr<const T> p, std::string type_name, size_t bytes = 0) {
        return Value(Object{std::static_pointer_cast<const void>(std::move(p)), typeid(T), std::move(type_name), bytes});
    }

    Kind kind() const;
    bool is_null() const { return kind() == Kind::Null; }
    bool is_bool() const { return kind() == Kind::Bool; }
    bool is_int() const { return kind() == Kind::Int; }
    bool is_float() const { return kind() == Kind::Float; }
    bool is_number() const { return is_int() || is_float(); }
    bool is_string() const { return kind() == Kind::String; }
    bool is_list() const { return kind() == Kind::List; }
    bool is_dict() const { return kind() == Kind::Dict; }
    bool is_tensor() const { return kind() == Kind::Tensor; }
    bool is_latent() const { return kind() == Kind::Latent; }
    bool is_conditioning() const { return kind() == Kind::Conditioning; }
    bool is_link() const { return kind() == Kind::Link; }
    bool is_blocker() const { return kind() == Kind::Blocker; }
    bool is_object() const { return kind() == Kind::Object; }

    // Accessors throw weft::Error("invalid_input_type") when the kind differs.
    bool as_bool() const;
    /// INT as int64; throws when an unsigned value does not fit.
    int64_t as_int() const;
    /// INT as uint64 (seeds); throws for negative values.
    uint64_t as_uint64() const;
    /// True when this INT holds a value above INT64_MAX.
    bool is_big_unsigned() const { return std::holds_alternative<uint64_t>(v_); }
    /// FLOAT, or INT converted to double.
    double as_float() const;
    const std::string& as_string() const;
    const List& as_list() const;
    const Dict& as_dict() const;
    const Tensor& as_tensor() const;
    const Latent& as_latent() const;
    const Conditioning& as_conditioning() const;
    const Link& as_link() const;
    const Blocker& as_blocker() const;
    const Object& as_object_ref() const;

    /// The wrapped object as T; throws weft::Error when this is not an Object of type T.
    template <class T>
    std::shared_ptr<const T> as_object() const {
        const Object& o = as_object_ref();
        if (o.type != typeid(T)) throw_object_mismatch(typeid(T).name());
        return std::static_pointer_cast<const T>(o.ptr);
    }

    /// Bytes of memory this value keeps alive (tensor storage, object bytes; lists summed).
    size_t byte_size() const;
    /// "INT", "FLOAT", "STRING", "BOOLEAN", "IMAGE-like tensor", the object's type name, ... for
    /// error messages.
    std::string kind_name() const;
    /// A short human-readable rendering ("42", "\"text\"", "F32 [1, 64, 64, 3]") for error reports.
    std::string describe() const;

    /// Structural equality for JSON-like values (null, bool, numbers, strings, lists, dicts, links);
    /// tensors and objects compare by identity.
    bool operator==(const Value& other) const;

private:
    [[noreturn]] void throw_object_mismatch(const char* wanted) const;

    std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, std::shared_ptr<const List>,
                 std::shared_ptr<const Dict>, Tensor, std::shared_ptr<const Latent>,
                 std::shared_ptr<const Conditioning>, Link, Blocker, Object>
        v_;
};

}  // namespace weft
