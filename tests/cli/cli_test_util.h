// tests/cli/cli_test_util.h — running the built `weft` binary in a temp folder.
#pragma once

#include "process_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace weft::testing {

inline std::filesystem::path source_dir() { return WEFT_SOURCE_DIR; }
inline std::filesystem::path demo_workflow() { return source_dir() / "workflows" / "demo.json"; }

/// A temp folder to run `weft` in (its output/, temp/ land there).
class CliTest : public ::testing::Test {
protected:
    TempDir dir{"weft-cli"};

    static std::filesystem::path demo_workflow() { return weft::testing::demo_workflow(); }

    ProcessResult weft(const std::vector<std::string>& args) { return run_process(WEFT_CLI_PATH, args, dir.path()); }

    /// Writes a workflow JSON into the temp folder and returns its path.
    std::string workflow(const std::string& name, const nlohmann::json& j) {
        write_text_file(dir / name, j.dump(2));
        return (dir / name).string();
    }

    static nlohmann::json demo() { return nlohmann::json::parse(read_text_file(demo_workflow())); }

    /// The JSON Lines `weft run --json` printed, one object per workflow.
    static std::vector<nlohmann::json> json_lines(const std::string& out) {
        std::vector<nlohmann::json> lines;
        std::istringstream in(out);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
        return lines;
    }
};

inline std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

}  // namespace weft::testing
