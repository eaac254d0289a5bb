#include <weft/session.h>

#include "graph/validate.h"
#include "runtime/executor.h"
#include "runtime/session_state.h"

#include <weft/error.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

namespace weft {

namespace {
std::string new_prompt_id() {
    static std::mutex m;
    static std::mt19937_64 rng{std::random_device{}() ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
    uint64_t a, b;
    {
        std::lock_guard lock(m);
        a = rng();
        b = rng();
    }
    // UUID version 4, variant 1.
    a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
    b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xFFFF),
                  static_cast<unsigned>(a & 0xFFFF), static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
    return buf;
}
}  // namespace

struct Session::Impl {
    Impl(std::shared_ptr<const NodeRegistry> registry, SessionOptions options) : state(std::move(registry), std::move(options)) {}

    runtime::SessionState state;
    std::mutex run_mutex;     // one run at a time
    std::mutex cancel_mutex;  // guards current_*
    runtime::CancelToken* current_token = nullptr;
    std::string current_prompt_id;
    std::shared_ptr<runtime::PreparedRun> last_prepared;  // guarded by run_mutex
};

Session::Session(std::shared_ptr<const NodeRegistry> registry, SessionOptions options) {
    if (!registry) throw Error(ErrorCode::InvalidPrompt, "a Session needs a node registry");
    impl_ = std::make_unique<Impl>(std::move(registry), std::move(options));
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

ValidationReport Session::validate(const Workflow& workflow, const RunOptions& options) const {
    return graph::validate_workflow(workflow, *impl_->state.registry, impl_->state.options.folders, options.targets).report;
}

RunResult Session::run(const Workflow& workflow, const RunOptions& options, const EventCallback& on_event) {
    std::lock_guard run_lock(impl_->run_mutex);
    const std::string prompt_id = options.prompt_id.empty() ? new_prompt_id() : options.prompt_id;
    auto start = std::chrono::steady_clock::now();

    std::shared_ptr<runtime::PreparedRun> prepared = impl_->last_prepared;
    if (!prepared || !prepared->serves(workflow, options.targets, *impl_->state.registry)) {
        prepared = runtime::PreparedRun::prepare(workflow, *impl_->state.registry, impl_->state.options.folders, options.targets);
        impl_->last_prepared = prepared->validation_reusable ? prepared : nullptr;
    }
    if (!prepared->validated.report.ok()) {
        RunResult r;
        r.prompt_id = prompt_id;
        r.status = RunStatus::Invalid;
        r.validation = prepared->validated.report;
        r.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return r;
    }

    runtime::CancelToken token;
    {
        std::lock_guard lock(impl_->cancel_mutex);
        impl_->current_token = &token;
        impl_->current_prompt_id = prompt_id;
    }
    struct ClearCurrent {
        Impl& impl;
        ~ClearCurrent() {
            std::lock_guard lock(impl.cancel_mutex);
            impl.current_token = nullptr;
            impl.current_prompt_id.clear();
        }
    } clear_current{*impl_};

    RunResult r = runtime::execute_workflow(impl_->state, prepared, options, prompt_id, on_event, token);
    r.validation = prepared->validated.report;
    r.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

void Session::cancel(std::string_view prompt_id) {
    std::lock_guard lock(impl_->cancel_mutex);
    if (!impl_->current_token) return;
    if (!prompt_id.empty() && prompt_id != impl_->current_prompt_id) return;
    impl_->current_token->cancel();
}

void Session::clear_cache() {
    std::lock_guard run_lock(impl_->run_mutex);
    impl_->state.cache.clear();
    impl_->state.instances.clear();
    impl_->state.resources.clear();
    impl_->last_prepared.reset();
}

size_t Session::cache_entries() const { return impl_->state.cache.size(); }
size_t Session::cache_bytes() const { return impl_->state.cache.bytes(); }
const NodeRegistry& Session::registry() const { return *impl_->state.registry; }
const SessionOptions& Session::options() const { return impl_->state.options; }

const Value& RunResult::output(const std::string& node_id, size_t slot, size_t index) const {
    auto it = outputs.find(node_id);
    if (it == outputs.end())
        throw Error(ErrorCode::InvalidPrompt, "no outputs recorded for node " + node_id + " (not an output node, not captured, or it did not run)").at_node(node_id);
    if (slot >= it->second.size() || index >= it->second[slot].size())
        throw Error(ErrorCode::InvalidPrompt, "node " + node_id + " has no output " + std::to_string(slot) + "[" + std::to_string(index) + "]").at_node(node_id);
    return it->second[slot][index];
}

}  // namespace weft
