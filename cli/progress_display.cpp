#include "progress_display.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>

namespace weft::cli {

ProgressDisplay::Mode ProgressDisplay::detect(bool quiet) {
    if (quiet) return Mode::Quiet;
    return ::isatty(STDERR_FILENO) ? Mode::Bar : Mode::Lines;
}

void ProgressDisplay::begin(const std::string& label, const Workflow& workflow) {
    std::lock_guard lock(mutex_);
    workflow_ = &workflow;
    label_ = label;
    total_ = workflow.size();
    done_.clear();
    current_node_.clear();
    current_class_.clear();
    value_ = max_ = 0;
}

std::string ProgressDisplay::class_of(const Event& e) const {
    if (!e.node_type.empty()) return e.node_type;
    if (workflow_) {
        const std::string& id = e.real_node_id.empty() ? e.node_id : e.real_node_id;
        if (const WorkflowNode* n = workflow_->find(id)) return n->class_type;
    }
    return "?";
}

void ProgressDisplay::on_event(const Event& e) {
    if (mode_ == Mode::Quiet) return;
    std::lock_guard lock(mutex_);
    switch (e.type) {
        case EventType::ExecutionCached:
            for (const std::string& id : e.nodes) done_.insert(id);
            draw(false);
            break;
        case EventType::Executing:
            current_node_ = e.display_node_id.empty() ? e.node_id : e.display_node_id;
            current_class_ = class_of(e);
            value_ = max_ = 0;
            draw(false);
            break;
        case EventType::Progress:
            current_node_ = e.display_node_id.empty() ? e.node_id : e.display_node_id;
            current_class_ = class_of(e);
            value_ = e.value;
            max_ = e.max;
            if (mode_ == Mode::Lines)
                std::fprintf(out_, "[node %s %s] %g/%g\n", current_node_.c_str(), current_class_.c_str(), e.value, e.max);
            else
                draw(e.value >= e.max);
            break;
        case EventType::Executed:
            done_.insert(e.node_id);
            draw(false);
            break;
        default:
            break;
    }
    std::fflush(out_);
}

void ProgressDisplay::draw(bool force) {
    if (mode_ != Mode::Bar) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(50)) return;
    last_draw_ = now;
    std::string line = fmt::format("{} [{}/{} nodes]", label_, std::min(done_.size(), total_), total_);
    if (!current_node_.empty()) line += fmt::format(" {} (node {})", current_class_, current_node_);
    if (max_ > 0) {
        constexpr int width = 24;
        const int filled = std::clamp(int(value_ / max_ * width + 0.5), 0, width);
        line += fmt::format(" [{}{}] {:g}/{:g}", std::string(size_t(filled), '#'), std::string(size_t(width - filled), ' '),
                            value_, max_);
    }
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
    line_dirty_ = true;
}

void ProgressDisplay::clear_line() {
    if (line_dirty_) std::fprintf(out_, "\r\x1b[K");
    line_dirty_ = false;
}

void ProgressDisplay::end() {
    std::lock_guard lock(mutex_);
    clear_line();
    std::fflush(out_);
    workflow_ = nullptr;
}

void ProgressDisplay::note(const std::string& text) {
    std::lock_guard lock(mutex_);
    clear_line();
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
}

}  // namespace weft::cli
