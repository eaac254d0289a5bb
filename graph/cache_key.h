// graph/cache_key.h — content-addressed cache keys (Merkle-style, node ids ignored).
//
// key(node) = XXH3-128(class_type, fingerprint, node id when NOT_IDEMPOTENT or the class has a
// UNIQUE_ID hidden input, every input sorted by name: a constant's canonical bytes, or a link's
// (key(source), slot)). Two structurally identical nodes share a key; a link to a missing node,
// an "always changed" fingerprint or a cycle yields a key that never matches anything.
#pragma once

#include <weft/registry.h>
#include <weft/workflow.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

namespace weft::graph {

struct CacheKey {
    uint64_t lo = 0, hi = 0;
    bool operator==(const CacheKey&) const = default;
};

struct CacheKeyHash {
    size_t operator()(const CacheKey& k) const { return static_cast<size_t>(k.lo ^ (k.hi * 0x9E3779B97F4A7C15ull)); }
};

/// A node's fingerprint (IS_CHANGED): absent = the node has none; a Value = its result;
/// `always_changed` = never reuse.
struct Fingerprint {
    std::optional<Value> value;
    bool always_changed = false;
};

/// A key that matches nothing else ever produced (fresh per call).
CacheKey unique_key();

/// Computes keys for `roots` and all their ancestors, adding them to `keys` (entries already in
/// `keys` are reused, so keys of a growing graph can be extended). Iterative: deep chains are fine.
/// `fingerprint_of` returns nullptr for nodes without a fingerprint.
void compute_cache_keys(const Workflow& wf, const NodeRegistry& registry,
                        const std::function<const Fingerprint*(const std::string&)>& fingerprint_of,
                        std::span<const std::string> roots, std::unordered_map<std::string, CacheKey>& keys);

/// Canonical hash of a constant Value (numbers: 1 == 1.0 like Python; tensors by content).
CacheKey hash_value(const Value& v);

}  // namespace weft::graph
