// server/history_entry.h — ComfyUI's history entry for one finished prompt:
//   {"prompt": [number, id, prompt, extra_data, outputs], "outputs": {node: ui},
//    "status": {"status_str", "completed", "messages": [[event, data], ...]}, "meta": {node: {...}}}
#pragma once

#include "job_store.h"

#include <weft/events.h>
#include <weft/session.h>

#include <nlohmann/json.hpp>

#include <string>

namespace weft::server {

/// extra_data without the keys ComfyUI never echoes back (auth tokens).
nlohmann::json public_extra_data(const nlohmann::json& extra_data);
/// ComfyUI's queue item: [number, prompt_id, prompt, extra_data, outputs_to_execute].
nlohmann::json queue_item(const QueuedPrompt& item);

class HistoryBuilder {
public:
    explicit HistoryBuilder(const QueuedPrompt& item);
    /// Records a status message from its WebSocket text ({"type", "data"}).
    void add_message(const std::string& event_json);
    /// Records an `executed` event's UI output and the node's meta.
    void add_output(const Event& executed);
    bool messages_empty() const { return messages_.empty(); }
    /// The entry for a run that ended with `result`.
    nlohmann::json build(const RunResult& result) const;

private:
    nlohmann::json prompt_, outputs_, meta_, messages_;
};

}  // namespace weft::server
