#include "prompt_worker.h"

#include "history_entry.h"
#include "progress_state.h"

#include <weft/json.h>
#include <weft/workflow.h>

#include <chrono>

namespace weft::server {

using nlohmann::json;

namespace {

std::shared_ptr<const std::string> frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

double now_ms() {
    return static_cast<double>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

RunOptions run_options_of(const QueuedPrompt& item, PreviewMethod server_previews) {
    RunOptions ro;
    // Newer frontends name a preview method per prompt; "default" (or none) keeps the server's.
    PreviewMethod previews = server_previews;
    if (item.extra_data.is_object())
        if (auto it = item.extra_data.find("preview_method"); it != item.extra_data.end() && it->is_string())
            previews = parse_preview_method(it->get<std::string>()).value_or(server_previews);
    ro.previews = previews != PreviewMethod::None;
    ro.prompt_id = item.prompt_id;
    const json& o = item.options;
    if (o.is_object()) {
        if (auto it = o.find("partial_execution_targets"); it != o.end() && it->is_array())
            ro.targets = it->get<std::vector<std::string>>();
        if (o.value("node_failure_policy", std::string()) == "continue_independent")
            ro.failure_policy = FailurePolicy::ContinueIndependent;
    }
    if (item.extra_data.is_object())
        if (auto it = item.extra_data.find("extra_pnginfo"); it != item.extra_data.end() && it->is_object())
            for (auto& [key, value] : it->items()) ro.extra_pnginfo[key] = value.dump();
    return ro;
}

}  // namespace

PromptWorker::PromptWorker(std::shared_ptr<const NodeRegistry> registry, SessionOptions options, JobStore& store,
                           ClientRegistry& clients, PreviewMethod previews)
    : session_(std::move(registry), std::move(options)), store_(store), clients_(clients), previews_(previews) {}

PromptWorker::~PromptWorker() { stop(); }

void PromptWorker::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void PromptWorker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        cv_.notify_all();
    }
    session_.cancel();
    if (thread_.joinable()) thread_.join();
}

namespace {
// After its reply is written, a prompt still waits this long: a client reads the reply on its HTTP
// connection while the events arrive on its WebSocket, and some clients (stable-canvas, saintno's
// CallWrapper) only start listening for the prompt's events once they have parsed the reply
// (measured: ~10 ms later when idle; with both cores busy, saintno missed a 100 ms grace once in
// about three full test runs). Only a prompt sent to an idle queue waits: queued ones overlap it.
constexpr auto kReleaseGrace = std::chrono::milliseconds(250);
}  // namespace

void PromptWorker::hold(const std::string& prompt_id) {
    std::lock_guard lock(held_mutex_);
    held_[prompt_id] = std::nullopt;
}

void PromptWorker::release(const std::string& prompt_id) {
    {
        std::lock_guard lock(held_mutex_);
        if (auto it = held_.find(prompt_id); it != held_.end()) it->second = std::chrono::steady_clock::now();
    }
    wake();
}

bool PromptWorker::is_held(const std::string& prompt_id) {
    std::lock_guard lock(held_mutex_);
    auto it = held_.find(prompt_id);
    if (it == held_.end()) return false;
    if (!it->second || std::chrono::steady_clock::now() < *it->second + kReleaseGrace) return true;
    held_.erase(it);
    return false;
}

bool PromptWorker::any_held() {
    std::lock_guard lock(held_mutex_);
    return !held_.empty();
}

void PromptWorker::wake() {
    std::lock_guard lock(mutex_);
    woken_ = true;
    cv_.notify_all();
}

bool PromptWorker::interrupt(const std::string& prompt_id) {
    std::lock_guard lock(mutex_);
    if (running_id_.empty() || (!prompt_id.empty() && prompt_id != running_id_)) return false;
    session_.cancel(running_id_);
    return true;
}

void PromptWorker::request_free(bool unload_models, bool free_memory) {
    if (!unload_models && !free_memory) return;
    free_requested_ = true;
    wake();
}

void PromptWorker::apply_free() {
    // Models are cached node results like any other, so unloading them is clearing the cache.
    if (free_requested_.exchange(false)) session_.clear_cache();
}

ValidationReport PromptWorker::validate(const Workflow& workflow, const RunOptions& options) const {
    return session_.validate(workflow, options);
}

int64_t PromptWorker::queue_remaining() const {
    return static_cast<int64_t>(store_.pending().size()) + (store_.running() ? 1 : 0);
}

std::string PromptWorker::status_message(const std::string& sid) const {
    json data = {{"status", {{"exec_info", {{"queue_remaining", queue_remaining()}}}}}};
    if (!sid.empty()) data["sid"] = sid;
    return json{{"type", "status"}, {"data", std::move(data)}}.dump();
}

void PromptWorker::broadcast_status() { clients_.broadcast(frame(status_message())); }

void PromptWorker::greet(const std::string& sid) {
    std::string prompt_id, node;
    {
        std::lock_guard lock(mutex_);
        if (running_client_ != sid || running_node_.empty()) return;
        prompt_id = running_id_;
        node = running_node_;
    }
    clients_.send_to(sid, frame(json{{"type", "executing"}, {"data", {{"node", node}, {"display_node", node}, {"prompt_id", prompt_id}}}}.dump()));
}

void PromptWorker::loop() {
    while (true) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            woken_ = false;
        }
        apply_free();
        std::optional<QueuedPrompt> item;
        try {
            item = store_.take_next([this](const std::string& id) { return is_held(id); });
        } catch (const std::exception&) {
            item.reset();  // the store failed this time; look again after the wait
        }
        if (item) {
            {
                std::lock_guard lock(mutex_);
                running_id_ = item->prompt_id;
                running_client_ = item->client_id;
                running_node_.clear();
            }
            broadcast_status();
            run_one(*item);
            {
                std::lock_guard lock(mutex_);
                running_id_.clear();
                running_client_.clear();
                running_node_.clear();
            }
            ++finished_;
            continue;
        }
        std::unique_lock lock(mutex_);
        // The timeout is a safety net only: every enqueue wakes the worker.
        const bool waiting_for_grace = any_held();
        cv_.wait_for(lock, waiting_for_grace ? std::chrono::milliseconds(10) : std::chrono::milliseconds(2000),
                     [&] { return woken_ || stopping_; });
    }
}

void PromptWorker::run_one(const QueuedPrompt& item) {
    const std::string& sid = item.client_id;
    HistoryBuilder history(item);
    ProgressState progress(item.prompt_id);

    // ComfyUI's delivery: the prompt's events only to its client (not at all without one);
    // progress-like messages to its client, or to everyone without one.
    auto to_client = [&](std::string text) {
        if (!sid.empty()) clients_.send_to(sid, frame(std::move(text)));
    };
    auto to_client_or_all = [&](std::string text, bool droppable) {
        clients_.send_or_broadcast(sid, frame(std::move(text)), false, droppable);
    };
    auto send_progress_state = [&] { to_client_or_all(progress.message(), true); };

    auto on_event = [&](const Event& e) {
        if (e.type == EventType::Preview) {
            // A few kB of JPEG encoded here; the frames are queued on each socket's strand, so a
            // slow client never holds the executor (and loses previews first when it lags).
            if (sid.empty() ? clients_.size() == 0 : !clients_.connected(sid)) return;  // nobody would see it
            const std::string jpeg = preview_jpeg(e);
            clients_.send_preview(sid, frame(preview_frame(jpeg)), frame(preview_frame_with_metadata(jpeg, e)));
            return;
        }
        std::string text = event_to_json(e);
        switch (e.type) {
            case EventType::ExecutionSuccess:
            case EventType::ExecutionError:
                if (progress.finish_all()) send_progress_state();  // every node's final state before the end
                [[fallthrough]];
            case EventType::ExecutionStart:
            case EventType::ExecutionCached:
                history.add_message(text);
                to_client(std::move(text));
                break;
            case EventType::ExecutionInterrupted:
                history.add_message(text);
                progress.finish_all();
                to_client_or_all(std::move(text), false);
                break;
            case EventType::Executing:
                {
                    std::lock_guard lock(mutex_);
                    running_node_ = e.node_id;
                }
                to_client(std::move(text));
                progress.start(e);
                send_progress_state();
                break;
            case EventType::Progress:
                to_client_or_all(std::move(text), true);
                progress.update(e);
                send_progress_state();
                break;
            case EventType::Executed:
                history.add_output(e);
                to_client(std::move(text));
                if (progress.finish(e.node_id)) send_progress_state();
                break;
            case EventType::NodeError:
            case EventType::ExecutionBlocked:
                to_client(std::move(text));
                break;
            case EventType::Preview:
                break;  // sent above
        }
    };

    RunResult result;
    try {
        const Workflow wf = Workflow::parse(item.prompt.dump(), "prompt");
        result = session_.run(wf, run_options_of(item, previews_), on_event);
    } catch (const std::exception& e) {
        // The stored prompt no longer parses (the store was edited): a failed run, reported as such.
        result.prompt_id = item.prompt_id;
        result.status = RunStatus::Error;
        ExecutionError err;
        err.exception_type = "weft::Error";
        err.exception_message = e.what();
        result.error = err;
    }
    if (result.status == RunStatus::Invalid || (result.status == RunStatus::Error && history.messages_empty())) {
        // Nothing ran, so no event said why: tell the client as an execution_error.
        Event e;
        e.type = EventType::ExecutionError;
        e.prompt_id = item.prompt_id;
        e.timestamp = now_ms();
        if (result.error) e.error = *result.error;
        else {
            e.error.exception_type = "weft::Error(invalid_prompt)";
            e.error.exception_message = result.validation.error ? result.validation.error->message + ": " + result.validation.error->details
                                                                : "the prompt did not validate";
        }
        std::string text = event_to_json(e);
        history.add_message(text);
        to_client(std::move(text));
    }
    if (progress.finish_all()) send_progress_state();

    try {
        store_.finish(item.prompt_id, history.build(result));
    } catch (const std::exception&) {
        // The history could not be written; the run itself is over either way.
    }
    broadcast_status();
    apply_free();
    // The end marker clients wait for, sent once history holds the result.
    to_client(json{{"type", "executing"}, {"data", {{"node", nullptr}, {"display_node", nullptr}, {"prompt_id", item.prompt_id}}}}.dump());
}

}  // namespace weft::server
