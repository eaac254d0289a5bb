// Value: the tagged union that flows along links (see include/weft/value.h).
#include <weft/error.h>
#include <weft/value.h>

#include "core/py_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace weft {

namespace {

// Index of each alternative in Value's variant, kept next to the switch that relies on it.
enum Alt : size_t { A_Null, A_Bool, A_Int, A_UInt, A_Float, A_String, A_List, A_Dict, A_Tensor, A_Latent, A_Cond, A_Link, A_Blocker, A_Object };

[[noreturn]] void kind_error(const Value& v, const char* wanted) {
    throw Error(ErrorCode::InvalidInputType, std::string("expected ") + wanted + ", got " + v.kind_name(), v.describe());
}

// Exact comparison of an integer with a double (no rounding through double for big integers).
bool int_equals_double(int64_t i, double d) {
    if (!std::isfinite(d) || d != std::trunc(d)) return false;
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
    return static_cast<int64_t>(d) == i;
}
bool uint_equals_double(uint64_t u, double d) {
    if (!std::isfinite(d) || d != std::trunc(d)) return false;
    if (d < 0 || d >= 18446744073709551616.0) return false;
    return static_cast<uint64_t>(d) == u;
}

}  // namespace

Value::Value(uint64_t v) {
    if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) v_ = static_cast<int64_t>(v);
    else v_ = v;
}
Value::Value(List v) : v_(std::make_shared<const List>(std::move(v))) {}
Value::Value(Dict v) : v_(std::make_shared<const Dict>(std::move(v))) {}
Value::Value(Latent v) : v_(std::make_shared<const Latent>(std::move(v))) {}
Value::Value(Conditioning v) : v_(std::make_shared<const Conditioning>(std::move(v))) {}

Value::Kind Value::kind() const {
    switch (v_.index()) {
        case A_Null: return Kind::Null;
        case A_Bool: return Kind::Bool;
        case A_Int:
        case A_UInt: return Kind::Int;
        case A_Float: return Kind::Float;
        case A_String: return Kind::String;
        case A_List: return Kind::List;
        case A_Dict: return Kind::Dict;
        case A_Tensor: return Kind::Tensor;
        case A_Latent: return Kind::Latent;
        case A_Cond: return Kind::Conditioning;
        case A_Link: return Kind::Link;
        case A_Blocker: return Kind::Blocker;
        default: return Kind::Object;
    }
}

bool Value::as_bool() const {
    if (auto p = std::get_if<bool>(&v_)) return *p;
    kind_error(*this, "BOOLEAN");
}

int64_t Value::as_int() const {
    if (auto p = std::get_if<int64_t>(&v_)) return *p;
    if (std::holds_alternative<uint64_t>(v_))
        throw Error(ErrorCode::InvalidInputType, "integer " + describe() + " does not fit in a signed 64-bit integer");
    kind_error(*this, "INT");
}

uint64_t Value::as_uint64() const {
    if (auto p = std::get_if<uint64_t>(&v_)) return *p;
    if (auto p = std::get_if<int64_t>(&v_)) {
        if (*p < 0) throw Error(ErrorCode::InvalidInputType, "expected a non-negative INT, got " + describe());
        return static_cast<uint64_t>(*p);
    }
    kind_error(*this, "INT");
}

double Value::as_float() const {
    if (auto p = std::get_if<double>(&v_)) return *p;
    if (auto p = std::get_if<int64_t>(&v_)) return static_cast<double>(*p);
    if (auto p = std::get_if<uint64_t>(&v_)) return static_cast<double>(*p);
    kind_error(*this, "FLOAT");
}

const std::string& Value::as_string() const {
    if (auto p = std::get_if<std::string>(&v_)) return *p;
    kind_error(*this, "STRING");
}
const List& Value::as_list() const {
    if (auto p = std::get_if<std::shared_ptr<const List>>(&v_)) return **p;
    kind_error(*this, "a list");
}
const Dict& Value::as_dict() const {
    if (auto p = std::get_if<std::shared_ptr<const Dict>>(&v_)) return **p;
    kind_error(*this, "a dictionary");
}
const Tensor& Value::as_tensor() const {
    if (auto p = std::get_if<Tensor>(&v_)) return *p;
    kind_error(*this, "a tensor (IMAGE/MASK)");
}
const Latent& Value::as_latent() const {
    if (auto p = std::get_if<std::shared_ptr<const Latent>>(&v_)) return **p;
    kind_error(*this, "LATENT");
}
const Conditioning& Value::as_conditioning() const {
    if (auto p = std::get_if<std::shared_ptr<const Conditioning>>(&v_)) return **p;
    kind_error(*this, "CONDITIONING");
}
const Link& Value::as_link() const {
    if (auto p = std::get_if<Link>(&v_)) return *p;
    kind_error(*this, "a link");
}
const Blocker& Value::as_blocker() const {
    if (auto p = std::get_if<Blocker>(&v_)) return *p;
    kind_error(*this, "an execution blocker");
}
const Object& Value::as_object_ref() const {
    if (auto p = std::get_if<Object>(&v_)) return *p;
    kind_error(*this, "an object");
}

void Value::throw_object_mismatch(const char* wanted) const {
    throw Error(ErrorCode::InvalidInputType, "expected an object of C++ type " + std::string(wanted) + ", got " + kind_name());
}

size_t Value::byte_size() const {
    switch (v_.index()) {
        case A_String: return std::get<std::string>(v_).size();
        case A_List: {
            size_t n = 0;
            for (const Value& e : *std::get<std::shared_ptr<const List>>(v_)) n += e.byte_size();
            return n;
        }
        case A_Dict: {
            size_t n = 0;
            for (const auto& [k, e] : *std::get<std::shared_ptr<const Dict>>(v_)) n += k.size() + e.byte_size();
            return n;
        }
        case A_Tensor: {
            const Tensor& t = std::get<Tensor>(v_);
            return t.defined() ? t.nbytes() : 0;
        }
        case A_Latent: {
            const Latent& l = *std::get<std::shared_ptr<const Latent>>(v_);
            size_t n = l.samples.defined() ? l.samples.nbytes() : 0;
            if (l.noise_mask.defined()) n += l.noise_mask.nbytes();
            return n + l.batch_index.size() * sizeof(int64_t);
        }
        case A_Cond: {
            size_t n = 0;
            for (const ConditioningItem& c : *std::get<std::shared_ptr<const Conditioning>>(v_)) {
                if (c.embedding.defined()) n += c.embedding.nbytes();
                if (c.extras)
                    for (const auto& [k, e] : *c.extras) n += e.byte_size();
            }
            return n;
        }
        case A_Object: return std::get<Object>(v_).bytes;
        default: return 0;
    }
}

std::string Value::kind_name() const {
    switch (v_.index()) {
        case A_Null: return "NONE";
        case A_Bool: return "BOOLEAN";
        case A_Int:
        case A_UInt: return "INT";
        case A_Float: return "FLOAT";
        case A_String: return "STRING";
        case A_List: return "LIST";
        case A_Dict: return "DICT";
        case A_Tensor: return "TENSOR";
        case A_Latent: return "LATENT";
        case A_Cond: return "CONDITIONING";
        case A_Link: return "LINK";
        case A_Blocker: return "BLOCKER";
        default: {
            const Object& o = std::get<Object>(v_);
            return o.type_name.empty() ? std::string("OBJECT") : o.type_name;
        }
    }
}

std::string Value::describe() const {
    switch (v_.index()) {
        case A_Null: return "None";
        case A_Bool: return std::get<bool>(v_) ? "True" : "False";
        case A_Int: return std::to_string(std::get<int64_t>(v_));
        case A_UInt: return std::to_string(std::get<uint64_t>(v_));
        case A_Float: return graph::python_float_repr(std::get<double>(v_));
        case A_String: {
            const std::string& s = std::get<std::string>(v_);
            if (s.size() > 200) return "\"" + s.substr(0, 200) + "...\"";
            return "\"" + s + "\"";
        }
        case A_List: {
            const List& l = *std::get<std::shared_ptr<const List>>(v_);
            std::string s = "[";
            for (size_t i = 0; i < l.size(); ++i) {
                if (i) s += ", ";
                if (i == 16) { s += "... (" + std::to_string(l.size()) + " items)"; break; }
                s += l[i].describe();
            }
            return s + "]";
        }
        case A_Dict: {
            const Dict& d = *std::get<std::shared_ptr<const Dict>>(v_);
            std::string s = "{";
            size_t i = 0;
            for (const auto& [k, e] : d) {
                if (i) s += ", ";
                if (i == 16) { s += "... (" + std::to_string(d.size()) + " keys)"; break; }
                s += "\"" + k + "\": " + e.describe();
                ++i;
            }
            return s + "}";
        }
        case A_Tensor: {
            const Tensor& t = std::get<Tensor>(v_);
            return t.defined() ? t.describe() : std::string("undefined tensor");
        }
        case A_Latent: {
            const Latent& l = *std::get<std::shared_ptr<const Latent>>(v_);
            return "LATENT " + (l.samples.defined() ? l.samples.describe() : std::string("(empty)"));
        }
        case A_Cond: return "CONDITIONING (" + std::to_string(std::get<std::shared_ptr<const Conditioning>>(v_)->size()) + " items)";
        case A_Link: {
            const Link& l = std::get<Link>(v_);
            return "[\"" + l.node_id + "\", " + std::to_string(l.slot) + "]";
        }
        case A_Blocker: {
            const Blocker& b = std::get<Blocker>(v_);
            return b.message ? "ExecutionBlocker(\"" + *b.message + "\")" : std::string("ExecutionBlocker");
        }
        default: {
            std::string s = "<";
            s += kind_name();
            return s + " object>";
        }
    }
}

bool Value::operator==(const Value& o) const {
    const size_t a = v_.index(), b = o.v_.index();
    // Numbers compare by value across INT and FLOAT (1 == 1.0), never with BOOLEAN.
    auto numeric = [](size_t i) { return i == A_Int || i == A_UInt || i == A_Float; };
    if (a != b) {
        if (!numeric(a) || !numeric(b)) return false;
        const Value& f = a == A_Float ? *this : o;
        const Value& n = a == A_Float ? o : *this;
        if (f.v_.index() != A_Float) return false;  // INT vs big unsigned INT: disjoint ranges
        double d = std::get<double>(f.v_);
        if (n.v_.index() == A_Int) return int_equals_double(std::get<int64_t>(n.v_), d);
        return uint_equals_double(std::get<uint64_t>(n.v_), d);
    }
    switch (a) {
        case A_Null: return true;
        case A_Bool: return std::get<bool>(v_) == std::get<bool>(o.v_);
        case A_Int: return std::get<int64_t>(v_) == std::get<int64_t>(o.v_);
        case A_UInt: return std::get<uint64_t>(v_) == std::get<uint64_t>(o.v_);
        case A_Float: return std::get<double>(v_) == std::get<double>(o.v_);
        case A_String: return std::get<std::string>(v_) == std::get<std::string>(o.v_);
        case A_List: {
            const auto& x = std::get<std::shared_ptr<const List>>(v_);
            const auto& y = std::get<std::shared_ptr<const List>>(o.v_);
            return x == y || *x == *y;
        }
        case A_Dict: {
            const auto& x = std::get<std::shared_ptr<const Dict>>(v_);
            const auto& y = std::get<std::shared_ptr<const Dict>>(o.v_);
            return x == y || *x == *y;
        }
        case A_Tensor: {
            const Tensor& x = std::get<Tensor>(v_);
            const Tensor& y = std::get<Tensor>(o.v_);
            return x.storage() == y.storage() && x.offset_bytes() == y.offset_bytes() && x.dtype() == y.dtype() &&
                   x.shape() == y.shape() && x.strides() == y.strides();
        }
        case A_Latent: return std::get<std::shared_ptr<const Latent>>(v_) == std::get<std::shared_ptr<const Latent>>(o.v_);
        case A_Cond:
            return std::get<std::shared_ptr<const Conditioning>>(v_) == std::get<std::shared_ptr<const Conditioning>>(o.v_);
        case A_Link: return std::get<Link>(v_) == std::get<Link>(o.v_);
        case A_Blocker: return std::get<Blocker>(v_).message == std::get<Blocker>(o.v_).message;
        default: {
            const Object& x = std::get<Object>(v_);
            const Object& y = std::get<Object>(o.v_);
            return x.ptr == y.ptr && x.type == y.type;
        }
    }
}

}  // namespace weft
