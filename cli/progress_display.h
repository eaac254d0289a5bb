// cli/progress_display.h — what a run shows on stderr while it goes.
//
// On a terminal: one line redrawn in place, "[2/5 nodes] KSampler (node 3) [#####     ] 10/20".
// Piped to a file or a program: plain lines, one per progress report, "[node 3 KSampler] 10/20",
// so logs stay readable. Quiet: nothing.
#pragma once

#include <weft/events.h>
#include <weft/workflow.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

namespace weft::cli {

class ProgressDisplay {
public:
    enum class Mode { Bar, Lines, Quiet };

    /// Bar when stderr is a terminal, else Lines; Quiet when `quiet`.
    static Mode detect(bool quiet);

    explicit ProgressDisplay(Mode mode, std::FILE* out = stderr) : mode_(mode), out_(out) {}

    /// Starts a workflow: `label` names it, `workflow` gives node classes and the node count.
    void begin(const std::string& label, const Workflow& workflow);
    /// Handles one run event (called one at a time by the session).
    void on_event(const Event& e);
    /// Clears the bar line (the summary is printed by the caller).
    void end();
    /// A one-off note ("interrupting...") that does not garble the bar.
    void note(const std::string& text);

private:
    std::string class_of(const Event& e) const;
    void draw(bool force);
    void clear_line();

    Mode mode_;
    std::FILE* out_;
    std::mutex mutex_;  // note() comes from the interrupt watcher thread
    const Workflow* workflow_ = nullptr;
    std::string label_;
    size_t total_ = 0;
    std::set<std::string> done_;
    std::string current_node_, current_class_;
    double value_ = 0, max_ = 0;
    bool line_dirty_ = false;
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace weft::cli
