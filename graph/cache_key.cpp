// Content-addressed cache keys (see cache_key.h): XXH3-128 over a canonical byte stream.
//
// Canonical constants follow Python's equality, which ComfyUI's keys inherit: True == 1 == 1.0
// (booleans and integral floats hash as integers), lists are ordered, dicts sorted by key, NaN and
// opaque objects never equal anything (each occurrence gets a fresh unique key). Tensors, latents
// and conditioning hash by content.
#define XXH_STATIC_LINKING_ONLY
#include "graph/cache_key.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <unordered_set>

namespace weft::graph {

namespace {

enum Tag : uint8_t {
    T_Null = 1, T_Int, T_Float, T_String, T_List, T_Dict, T_Tensor, T_Latent, T_Cond, T_Link, T_Blocker, T_Unique,
    T_Node, T_Class, T_NoFingerprint, T_Fingerprint, T_NodeId, T_Input, T_Const, T_LinkIn, T_Absent,
};

uint64_t process_nonce() {
    static const uint64_t nonce = [] {
        std::random_device rd;
        uint64_t n = (static_cast<uint64_t>(rd()) << 32) ^ rd();
        return n ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }();
    return nonce;
}

class Hasher {
public:
    Hasher() { XXH3_128bits_reset(&st_); }
    void bytes(const void* p, size_t n) { XXH3_128bits_update(&st_, p, n); }
    void tag(Tag t) { bytes(&t, 1); }
    void u64(uint64_t v) { bytes(&v, sizeof v); }
    void str(std::string_view s) {
        u64(s.size());
        bytes(s.data(), s.size());
    }
    void key(const CacheKey& k) {
        u64(k.lo);
        u64(k.hi);
    }
    CacheKey digest() const {
        XXH128_hash_t h = XXH3_128bits_digest(&st_);
        return CacheKey{h.low64, h.high64};
    }

private:
    XXH3_state_t st_;
};

// Integers as 128-bit two's complement so int64 and uint64 share one encoding.
void hash_int128(Hasher& h, __int128 v) {
    h.tag(T_Int);
    h.bytes(&v, sizeof v);
}

void hash_tensor(Hasher& h, const Tensor& t) {
    h.tag(T_Tensor);
    if (!t.defined()) {
        h.u64(0);
        return;
    }
    h.u64(1);
    h.u64(static_cast<uint64_t>(t.dtype()));
    h.u64(t.shape().size());
    for (int64_t d : t.shape()) h.u64(static_cast<uint64_t>(d));
    Tensor c = t.contiguous();
    h.bytes(c.raw_data(), c.nbytes());
}

void hash_into(Hasher& h, const Value& v);

void hash_dict(Hasher& h, const Dict& d) {
    h.tag(T_Dict);
    h.u64(d.size());
    for (const auto& [k, e] : d) {  // std::map: sorted by key
        h.str(k);
        hash_into(h, e);
    }
}

void hash_into(Hasher& h, const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Null: h.tag(T_Null); return;
        case Value::Kind::Bool: hash_int128(h, v.as_bool() ? 1 : 0); return;
        case Value::Kind::Int:
            hash_int128(h, v.is_big_unsigned() ? static_cast<__int128>(v.as_uint64()) : static_cast<__int128>(v.as_int()));
            return;
        case Value::Kind::Float: {
            double d = v.as_float();
            if (std::isnan(d)) {  // NaN != NaN: never reusable
                h.tag(T_Unique);
                h.key(unique_key());
                return;
            }
            // Integral floats equal the integers (1.0 == 1); -0.0 == 0.
            if (d == std::trunc(d) && d >= -9223372036854775808.0 && d < 18446744073709551616.0) {
                hash_int128(h, d < 0 ? static_cast<__int128>(static_cast<int64_t>(d)) : static_cast<__int128>(static_cast<uint64_t>(d)));
                return;
            }
            h.tag(T_Float);
            uint64_t bits;
            std::memcpy(&bits, &d, sizeof bits);
            h.u64(bits);
            return;
        }
        case Value::Kind::String:
            h.tag(T_String);
            h.str(v.as_string());
            return;
        case Value::Kind::List: {
            const List& l = v.as_list();
            h.tag(T_List);
            h.u64(l.size());
            for (const Value& e : l) hash_into(h, e);
            return;
        }
        case Value::Kind::Dict: hash_dict(h, v.as_dict()); return;
        case Value::Kind::Tensor: hash_tensor(h, v.as_tensor()); return;
        case Value::Kind::Latent: {
            const Latent& l = v.as_latent();
            h.tag(T_Latent);
            hash_tensor(h, l.samples);
            hash_tensor(h, l.noise_mask);
            h.u64(l.batch_index.size());
            for (int64_t b : l.batch_index) h.u64(static_cast<uint64_t>(b));
            return;
        }
        case Value::Kind::Conditioning: {
            const Conditioning& c = v.as_conditioning();
            h.tag(T_Cond);
            h.u64(c.size());
            for (const ConditioningItem& item : c) {
                hash_tensor(h, item.embedding);
                if (item.extras) hash_dict(h, *item.extras);
                else h.tag(T_Null);
            }
            return;
        }
        case Value::Kind::Link:
            h.tag(T_Link);
            h.str(v.as_link().node_id);
            h.u64(static_cast<uint64_t>(static_cast<int64_t>(v.as_link().slot)));
            return;
        case Value::Kind::Blocker:
            h.tag(T_Blocker);
            if (v.as_blocker().message) h.str(*v.as_blocker().message);
            else h.tag(T_Null);
            return;
        case Value::Kind::Object:  // opaque: identity only, which a key cannot express
            h.tag(T_Unique);
            h.key(unique_key());
            return;
    }
}

}  // namespace

CacheKey unique_key() {
    static std::atomic<uint64_t> counter{0};
    Hasher h;
    h.tag(T_Unique);
    h.u64(process_nonce());
    h.u64(counter.fetch_add(1, std::memory_order_relaxed));
    return h.digest();
}

CacheKey hash_value(const Value& v) {
    Hasher h;
    hash_into(h, v);
    return h.digest();
}

void compute_cache_keys(const Workflow& wf, const NodeRegistry& registry,
                        const std::function<const Fingerprint*(const std::string&)>& fingerprint_of,
                        std::span<const std::string> roots, std::unordered_map<std::string, CacheKey>& keys) {
    // Iterative post-order DFS: a node's key needs its sources' keys first.
    struct Item {
        const WorkflowNode* node;
        bool expanded;
    };
    std::vector<Item> stack;
    std::unordered_set<std::string> in_progress;

    auto key_of_node = [&](const WorkflowNode& n) -> CacheKey {
        const NodeDefinition* def = registry.find(n.class_type);
        if (!def) return unique_key();  // unknown class: never reusable
        Hasher h;
        h.tag(T_Node);
        h.tag(T_Class);
        h.str(n.class_type);
        const Fingerprint* fp = fingerprint_of ? fingerprint_of(n.id) : nullptr;
        if (fp && fp->always_changed) return unique_key();
        if (fp && fp->value) {
            h.tag(T_Fingerprint);
            hash_into(h, *fp->value);
        } else {
            h.tag(T_NoFingerprint);
        }
        if (def->schema.is_not_idempotent() || def->schema.has_hidden(Hidden::UniqueId)) {
            h.tag(T_NodeId);
            h.str(n.id);
        }
        std::vector<const std::pair<std::string, Value>*> inputs;
        inputs.reserve(n.inputs.size());
        for (const auto& p : n.inputs) inputs.push_back(&p);
        std::sort(inputs.begin(), inputs.end(), [](auto* a, auto* b) { return a->first < b->first; });
        for (const auto* p : inputs) {
            h.tag(T_Input);
            h.str(p->first);
            if (!p->second.is_link()) {
                h.tag(T_Const);
                hash_into(h, p->second);
                continue;
            }
            const Link& l = p->second.as_link();
            auto it = keys.find(l.node_id);
            if (it == keys.end()) return unique_key();  // missing source, or a cycle back to a node in progress
            h.tag(T_LinkIn);
            h.key(it->second);
            h.u64(static_cast<uint64_t>(static_cast<int64_t>(l.slot)));
        }
        return h.digest();
    };

    for (const std::string& root : roots) {
        if (keys.count(root)) continue;
        const WorkflowNode* rn = wf.find(root);
        if (!rn) continue;
        stack.push_back({rn, false});
        while (!stack.empty()) {
            Item it = stack.back();
            const std::string& id = it.node->id;
            if (it.expanded) {
                stack.pop_back();
                in_progress.erase(id);
                keys[id] = key_of_node(*it.node);
                continue;
            }
            if (keys.count(id) || in_progress.count(id)) {
                stack.pop_back();
                continue;
            }
            stack.back().expanded = true;
            in_progress.insert(id);
            for (const auto& [name, v] : it.node->inputs) {
                if (!v.is_link()) continue;
                const WorkflowNode* src = wf.find(v.as_link().node_id);
                if (src && !keys.count(src->id) && !in_progress.count(src->id)) stack.push_back({src, false});
            }
        }
    }
}

}  // namespace weft::graph
