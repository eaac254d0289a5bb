// One node's result from its calls.
#include "runtime/call_results.h"

namespace weft::runtime {

namespace {

void append_resolved(List& dst, const Value& v, const OutputsOf& outputs_of) {
    if (!v.is_link()) {
        dst.push_back(v);
        return;
    }
    const Link& link = v.as_link();
    const std::vector<List>* outs = outputs_of(link);
    if (!outs) {
        dst.push_back(Value());
        return;
    }
    if (static_cast<size_t>(link.slot) < outs->size())
        for (const Value& item : (*outs)[link.slot]) dst.push_back(item);
}

/// Lists under the same key are concatenated; other keys are replaced.
void merge_ui(std::optional<Dict>& into, Dict add) {
    if (!into) {
        into = std::move(add);
        return;
    }
    for (auto& [key, v] : add) {
        auto it = into->find(key);
        if (it != into->end() && it->second.is_list() && v.is_list()) {
            List merged = it->second.as_list();
            for (const Value& item : v.as_list()) merged.push_back(item);
            it->second = Value(std::move(merged));
        } else {
            (*into)[key] = std::move(v);
        }
    }
}

}  // namespace

std::shared_ptr<CacheEntry> merge_calls(const NodeSchema& schema, std::vector<CallOutput>& calls, const OutputsOf& outputs_of) {
    const auto& outs = schema.outputs();
    auto entry = std::make_shared<CacheEntry>();
    entry->outputs.assign(outs.size(), List{});
    for (CallOutput& c : calls) {
        for (size_t slot = 0; slot < outs.size(); ++slot) {
            List& dst = entry->outputs[slot];
            if (c.blocked) {
                dst.push_back(Value(*c.blocked));
            } else if (c.expansion) {
                append_resolved(dst, c.expansion_results[slot], outputs_of);
            } else if (outs[slot].is_list) {
                for (Value& v : c.outputs[slot]) dst.push_back(std::move(v));
            } else {
                dst.push_back(c.outputs[slot].empty() ? Value() : std::move(c.outputs[slot].front()));
            }
        }
        if (c.ui) merge_ui(entry->ui, std::move(*c.ui));
    }
    return entry;
}

}  // namespace weft::runtime
