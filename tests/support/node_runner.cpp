#include "node_runner.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace weft::testing {

namespace {

fs::path fresh_dir() {
    static std::atomic<int> counter{0};
    const fs::path p = fs::temp_directory_path() /
                       ("weft_noderunner_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

SessionOptions options_for(const fs::path& dir) {
    SessionOptions o;
    o.folders.input = dir / "input";
    o.folders.output = dir / "output";
    o.folders.temp = dir / "temp";
    o.folders.user = dir / "user";
    o.folders.models = {dir / "models"};
    return o;
}

std::string describe_failure(const RunResult& r) {
    std::ostringstream os;
    os << run_status_name(r.status);
    if (r.validation.error) os << "; " << r.validation.error->type << ": " << r.validation.error->message;
    for (const auto& [id, ne] : r.validation.node_errors)
        for (const ErrorInfo& e : ne.errors) os << "; [" << id << "] " << e.type << ": " << e.message << " " << e.details;
    if (r.error) os << "; node " << r.error->node_id << ": " << r.error->exception_type << ": " << r.error->exception_message;
    return os.str();
}

}  // namespace

NodeRunner::NodeRunner() : dir_(fresh_dir()), session_(builtin_registry(), options_for(dir_)) {}

NodeRunner::~NodeRunner() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

RunResult NodeRunner::run(const Workflow& wf, std::vector<std::string> capture, bool expect_ok, RunOptions options) {
    options.capture.insert(options.capture.end(), capture.begin(), capture.end());
    RunResult r = session_.run(wf, options);
    if (expect_ok && !r.ok()) ADD_FAILURE() << "run failed: " << describe_failure(r);
    return r;
}

std::string NodeRunner::preview_text(const RunResult& r, const std::string& node_id) {
    auto it = r.ui.find(node_id);
    if (it == r.ui.end()) return {};
    auto t = it->second.find("text");
    if (t == it->second.end() || !t->second.is_list() || t->second.as_list().empty()) return {};
    const Value& v = t->second.as_list().front();
    return v.is_string() ? v.as_string() : v.describe();
}

}  // namespace weft::testing
