// server/prompt_worker.h — the single execution thread of `weft serve`.
//
// Takes prompts from the JobStore one at a time (lowest number first), runs each in one
// long-lived weft::Session (so the cache persists between prompts), turns the run's events into
// ComfyUI's WebSocket messages for the client that queued it (latent previews as binary frames),
// and writes the history entry.
//
// Thread safety: every public method may be called from any thread (the HTTP side calls wake(),
// interrupt(), request_free() while a prompt runs).
#pragma once

#include "client_registry.h"
#include "job_store.h"
#include "preview_frames.h"

#include <weft/session.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace weft::server {

class PromptWorker {
public:
    /// `previews`: the method of prompts whose extra_data names none.
    PromptWorker(std::shared_ptr<const NodeRegistry> registry, SessionOptions options, JobStore& store, ClientRegistry& clients,
                 PreviewMethod previews = PreviewMethod::Latent2Rgb);
    ~PromptWorker();
    PromptWorker(const PromptWorker&) = delete;
    PromptWorker& operator=(const PromptWorker&) = delete;

    void start();
    /// Cancels the running prompt (it is finished as interrupted) and joins the thread; pending
    /// prompts stay queued in the store.
    void stop();
    /// Something was queued (or a /free request arrived): look again now.
    void wake();
    /// A held prompt is queued (visible in /queue) but not started, and nothing behind it is:
    /// POST /prompt holds its prompt until the reply is written, so a client that starts listening
    /// for the prompt's events after reading its id misses none.
    void hold(const std::string& prompt_id);
    void release(const std::string& prompt_id);
    bool is_held(const std::string& prompt_id);
    bool any_held();

    /// Cancels the running prompt; with an id, only when that prompt is the one running.
    /// Returns whether a prompt was running (and matched).
    bool interrupt(const std::string& prompt_id = {});
    /// ComfyUI's /free: applied after the current prompt (at once when idle).
    void request_free(bool unload_models, bool free_memory);

    /// Validation as POST /prompt does it, with this worker's registry and folders.
    ValidationReport validate(const Workflow& workflow, const RunOptions& options) const;
    const NodeRegistry& registry() const { return session_.registry(); }
    const Folders& folders() const { return session_.options().folders; }

    /// Pending + running prompts (ComfyUI's queue_remaining).
    int64_t queue_remaining() const;
    /// {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": N}}, "sid"?}}.
    std::string status_message(const std::string& sid = {}) const;
    /// Sends `status` to every client (after every queue change).
    void broadcast_status();
    /// A client (re)connected: when its prompt is running, tell it which node runs now.
    void greet(const std::string& sid);
    /// Number of prompts finished since start (tests wait on it).
    int64_t finished_count() const { return finished_.load(); }

private:
    void loop();
    void run_one(const QueuedPrompt& item);
    void apply_free();

    Session session_;
    JobStore& store_;
    ClientRegistry& clients_;
    PreviewMethod previews_;

    mutable std::mutex mutex_;
    std::mutex held_mutex_;
    /// Held prompts: not yet released, or released less than kReleaseGrace ago.
    std::map<std::string, std::optional<std::chrono::steady_clock::time_point>> held_;
    std::condition_variable cv_;
    bool woken_ = false;
    bool stopping_ = false;
    std::string running_id_, running_client_, running_node_;  // guarded by mutex_
    std::atomic<bool> free_requested_{false};
    std::atomic<int64_t> finished_{0};
    std::thread thread_;
};

}  // namespace weft::server
