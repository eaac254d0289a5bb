// Ready queues, arena tasks and completions.
#include "runtime/scheduler.h"

#include <algorithm>

namespace weft::runtime {

void Scheduler::push(uint32_t n, bool output_node, bool exclusive) { (output_node ? ready_outputs_ : ready_).push_back({n, exclusive}); }

void Scheduler::remove(uint32_t n) {
    auto is_n = [n](const Entry& e) { return e.node == n; };
    std::erase_if(ready_, is_n);
    std::erase_if(ready_outputs_, is_n);
}

bool Scheduler::take(std::deque<Entry>& queue, uint32_t& n) {
    for (auto it = queue.begin(); it != queue.end(); ++it) {
        if (it->exclusive && exclusive_running_) continue;
        n = it->node;
        queue.erase(it);
        return true;
    }
    return false;
}

std::optional<uint32_t> Scheduler::pop() {
    uint32_t n;
    if (take(ready_outputs_, n) || take(ready_, n)) return n;
    return std::nullopt;
}

std::optional<TaskResult> Scheduler::start(bool exclusive, std::function<TaskResult()> task) {
    if (exclusive) exclusive_running_ = true;
    ++running_;
    if (running_ == 1 && !has_ready()) return task();
    arena_.enqueue([this, task = std::move(task)] {
        TaskResult r = task();
        std::lock_guard lock(completion_mutex_);
        completions_.push_back(std::move(r));
        completion_cv_.notify_one();
    });
    return std::nullopt;
}

void Scheduler::finished(bool exclusive) {
    --running_;
    if (exclusive) exclusive_running_ = false;
}

std::vector<TaskResult> Scheduler::wait() {
    std::vector<TaskResult> done;
    std::unique_lock lock(completion_mutex_);
    completion_cv_.wait(lock, [&] { return !completions_.empty(); });
    done.swap(completions_);
    return done;
}

}  // namespace weft::runtime
