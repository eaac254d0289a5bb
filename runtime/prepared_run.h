// runtime/prepared_run.h — what a run derives from the submitted workflow alone: its validation,
// its indexed graph and (when no node has a fingerprint) its cache keys. The Session keeps the
// last one and reuses it when the same workflow is submitted again with the same targets, so a
// fully cached re-run skips validation, graph building and key hashing.
#pragma once

#include "graph/cache_key.h"
#include "graph/validate.h"
#include "runtime/dynamic_graph.h"

#include <weft/registry.h>

#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

namespace weft::runtime {

struct PreparedRun {
    Workflow source;  // as submitted, to recognise a repeat
    std::optional<std::vector<std::string>> targets;
    size_t registry_size = 0;
    graph::Validated validated;
    std::shared_ptr<const GraphBase> base;        // over validated.coerced
    std::vector<const NodeDefinition*> defs;      // per base node
    /// Validation read nothing but the workflow and the schemas (no folder-backed combo lists, no
    /// custom validate functions), so it holds for a repeat.
    bool validation_reusable = false;
    /// Set by the first run when no node has a fingerprint: the keys of every base node.
    std::vector<graph::CacheKey> keys;
    std::unordered_set<graph::CacheKey, graph::CacheKeyHash> key_set;
    bool keys_ready = false;
    bool any_fingerprint = false;

    /// Validates `wf` and indexes its graph.
    static std::shared_ptr<PreparedRun> prepare(const Workflow& wf, const NodeRegistry& registry, const Folders& folders,
                                                const std::optional<std::vector<std::string>>& targets);
    /// Whether this preparation can serve a run of `wf` with `targets`.
    bool serves(const Workflow& wf, const std::optional<std::vector<std::string>>& targets, const NodeRegistry& registry) const;
};

}  // namespace weft::runtime
