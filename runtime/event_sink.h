// runtime/event_sink.h — delivers a run's events to the callback one at a time, in order.
#pragma once

#include <weft/events.h>

#include <chrono>
#include <mutex>

namespace weft::runtime {

class EventSink {
public:
    EventSink(const EventCallback& callback, std::string prompt_id) : callback_(callback), prompt_id_(std::move(prompt_id)) {}

    bool enabled() const { return static_cast<bool>(callback_); }

    /// Stamps prompt id and time, then calls the callback under the sink's lock. Exceptions from
    /// the callback are swallowed: an observer must not break a run.
    void emit(Event e) {
        if (!callback_) return;
        e.prompt_id = prompt_id_;
        e.timestamp = static_cast<double>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
        std::lock_guard lock(mutex_);
        try {
            callback_(e);
        } catch (...) {
        }
    }

private:
    const EventCallback& callback_;
    std::string prompt_id_;
    std::mutex mutex_;
};

}  // namespace weft::runtime
