// cli/interrupt_watcher.h — Ctrl-C cancels the running workflow instead of killing the process.
//
// The signal handler only sets a flag (all a handler may safely do); a watcher thread sees it and
// calls Session::cancel, so the run stops at the next node boundary or progress report and the
// summary still prints. A second Ctrl-C exits at once.
#pragma once

#include <weft/session.h>

#include <functional>
#include <thread>

namespace weft::cli {

class InterruptWatcher {
public:
    /// Installs the SIGINT handler; `on_interrupt` runs once on the watcher thread.
    InterruptWatcher(Session& session, std::function<void()> on_interrupt = {});
    /// Restores the previous handler.
    ~InterruptWatcher();
    InterruptWatcher(const InterruptWatcher&) = delete;
    InterruptWatcher& operator=(const InterruptWatcher&) = delete;

    /// True once Ctrl-C was pressed.
    bool interrupted() const;

private:
    std::jthread thread_;
};

}  // namespace weft::cli
