// runtime/scheduler.h — which ready node starts next and where it runs: the ready queues (output
// nodes first, as ComfyUI's picker prefers them, then FIFO; an exclusive node waits while another
// exclusive node runs), tasks on the session's oneTBB arena, and the completion queue the
// scheduler thread waits on. Everything but the completion queue is the scheduler thread's.
#pragma once

#include "runtime/node_task.h"

#include <tbb/task_arena.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace weft::runtime {

class Scheduler {
public:
    explicit Scheduler(tbb::task_arena& arena) : arena_(arena) {}

    void push(uint32_t n, bool output_node, bool exclusive);
    /// Takes `n` out of the ready queues (it was blocked).
    void remove(uint32_t n);
    bool has_ready() const { return !ready_.empty() || !ready_outputs_.empty(); }
    /// The next node that may start now, if any.
    std::optional<uint32_t> pop();

    /// Starts a popped node's task. When nothing else runs or is ready the task runs inline on
    /// this thread (no hand-off to a worker) and its result is returned; otherwise it goes to the
    /// arena and its result comes back through wait().
    std::optional<TaskResult> start(bool exclusive, std::function<TaskResult()> task);
    /// Accounts for a finished task (returned by start() or wait()).
    void finished(bool exclusive);
    int running() const { return running_; }
    /// Waits until at least one arena task has finished; returns every finished one.
    std::vector<TaskResult> wait();

private:
    struct Entry {
        uint32_t node;
        bool exclusive;
    };
    bool take(std::deque<Entry>& queue, uint32_t& n);

    tbb::task_arena& arena_;
    std::deque<Entry> ready_, ready_outputs_;
    int running_ = 0;
    bool exclusive_running_ = false;

    std::mutex completion_mutex_;  // guards completions_
    std::condition_variable completion_cv_;
    std::vector<TaskResult> completions_;
};

}  // namespace weft::runtime
