// tests/support/node_runner.h — runs a workflow of built-in nodes in a session whose folders
// live in a fresh temporary directory (removed afterwards).
//
//   weft::testing::NodeRunner nr;
//   weft::RunResult r = nr.run(wf, {"1"});                  // capture node 1's outputs
//   std::string shown = weft::testing::NodeRunner::preview_text(r, "2");
#pragma once

#include "media/png_io.h"
#include "process_runner.h"  // TempDir, write_text_file, read_text_file

#include <weft/weft.h>

#include <filesystem>
#include <string>
#include <vector>

namespace weft::testing {

class NodeRunner {
public:
    /// A session over the built-in nodes with input/, output/, temp/, user/ and models/ under a
    /// new temporary directory (the folders themselves are not created).
    NodeRunner();
    ~NodeRunner();
    NodeRunner(const NodeRunner&) = delete;
    NodeRunner& operator=(const NodeRunner&) = delete;

    /// Runs `wf`, keeping the outputs of `capture`; with `expect_ok`, a run that does not succeed
    /// is reported as a test failure (with its errors).
    RunResult run(const Workflow& wf, std::vector<std::string> capture = {}, bool expect_ok = true, RunOptions options = {});

    /// The text a PreviewAny node `node_id` showed (its ui "text"), "" when absent.
    static std::string preview_text(const RunResult& r, const std::string& node_id);

    Session& session() { return session_; }
    const Folders& folders() const { return session_.options().folders; }
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    Session session_;
};

}  // namespace weft::testing
