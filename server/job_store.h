// server/job_store.h — the durable prompt queue and history of `weft serve`.
//
// Backed by one SQLite file in WAL mode; every change is one transaction, so a kill -9 at any
// moment loses nothing: queued prompts stay queued, finished results stay in history, and a prompt
// that was running when the process died is moved to history as failed when the store is reopened
// (see docs/server-queue.md).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::server {

/// One prompt as /prompt accepted it, in ComfyUI's queue-item terms.
struct QueuedPrompt {
    std::string prompt_id;
    int64_t number = 0;                  // queue order; `front` prompts get negative numbers
    nlohmann::json prompt;               // the API-format workflow
    nlohmann::json extra_data;           // {"client_id": ..., "extra_pnginfo": ...}
    std::string client_id;
    nlohmann::json outputs_to_execute;   // output node ids that validated
    nlohmann::json options;              // server-side run options (free-form)
};

class JobStore {
public:
    static constexpr int64_t kMaxHistory = 10000;   // ComfyUI's bound; the oldest are evicted

    /// Opens or creates `db_file`; a prompt left "running" by a dead process is moved to history
    /// as failed. Throws weft::Error naming the file when it cannot be opened or is not a store.
    explicit JobStore(const std::filesystem::path& db_file, int64_t max_history = kMaxHistory);
    ~JobStore();
    JobStore(const JobStore&) = delete;
    JobStore& operator=(const JobStore&) = delete;

    /// ComfyUI's prompt counter: increasing, persisted. Callers negate it for `front` prompts.
    int64_t next_number();
    void enqueue(const QueuedPrompt& p);
    /// Lowest number first (FIFO among equal numbers); marks it running.
    std::optional<QueuedPrompt> take_next();
    /// The same, but nothing while the prompt first in line is `held` (e.g. its POST /prompt reply
    /// is not written yet: clients that listen only after that reply would miss its events).
    std::optional<QueuedPrompt> take_next(const std::function<bool(const std::string& prompt_id)>& held);
    /// Atomically: the prompt is no longer running (or pending) and its entry is in history.
    void finish(const std::string& prompt_id, const nlohmann::json& history_entry);

    std::vector<QueuedPrompt> pending() const;       // in run order
    std::optional<QueuedPrompt> running() const;     // the one taken and not yet finished
    bool remove_pending(const std::string& prompt_id);
    void clear_pending();

    /// {prompt_id: entry}, oldest first, as ComfyUI's GET /history: offset >= 0 skips that many
    /// of the oldest, then at most max_items follow; offset < 0 (the route's default, -1) with
    /// max_items set gives the newest max_items. Only the newest kMaxHistory entries are kept.
    nlohmann::json history(std::optional<int64_t> max_items, int64_t offset = -1) const;
    /// The same, keeping the oldest-first key order in the object (nlohmann::json sorts keys);
    /// this is what GET /history should serialise.
    nlohmann::ordered_json history_ordered(std::optional<int64_t> max_items, int64_t offset = -1) const;
    std::optional<nlohmann::json> history_entry(const std::string& prompt_id) const;
    void delete_history(const std::vector<std::string>& ids);
    void clear_history();

    const std::filesystem::path& file() const { return file_; }

private:
    struct Db;
    std::filesystem::path file_;
    std::unique_ptr<Db> db_;
};

}  // namespace weft::server
