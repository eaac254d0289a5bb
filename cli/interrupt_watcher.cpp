#include "interrupt_watcher.h"

#include <atomic>
#include <chrono>
#include <csignal>

#include <unistd.h>

namespace weft::cli {

namespace {

volatile std::sig_atomic_t g_interrupts = 0;
struct sigaction g_previous {};

extern "C" void on_sigint(int) {
    if (g_interrupts > 0) _exit(130);  // second Ctrl-C: the user really wants out
    g_interrupts = g_interrupts + 1;
}

}  // namespace

InterruptWatcher::InterruptWatcher(Session& session, std::function<void()> on_interrupt) {
    g_interrupts = 0;
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &g_previous);
    thread_ = std::jthread([&session, cb = std::move(on_interrupt)](std::stop_token stop) {
        while (!stop.stop_requested()) {
            if (g_interrupts > 0) {
                if (cb) cb();
                // Keep cancelling until the watcher stops: a run that starts right after the
                // signal must not escape it.
                while (!stop.stop_requested()) {
                    session.cancel();
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

InterruptWatcher::~InterruptWatcher() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    sigaction(SIGINT, &g_previous, nullptr);
}

bool InterruptWatcher::interrupted() const { return g_interrupts > 0; }

}  // namespace weft::cli
