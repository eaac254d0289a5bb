// The two npm ComfyUI clients (@saintno/comfyui-sdk, @stable-canvas/comfyui-client) against a real
// `weft serve`: each queues a model-free workflow, follows it over the WebSocket, downloads the
// image through /view and compares it byte for byte with the saved file (tests/server/js/).
#include "tests/support/http_test_client.h"
#include "tests/support/process_runner.h"
#include "tests/support/serve_process.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace weft::testing;

const fs::path kJsDir = fs::path(WEFT_SOURCE_DIR) / "tests" / "server" / "js";

std::optional<fs::path> find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        fs::path p = fs::path(dir.empty() ? "." : dir) / name;
        if (access(p.c_str(), X_OK) == 0) return fs::absolute(p);
    }
    return std::nullopt;
}

class NpmClients : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        node_ = find_on_path("node");
        if (!node_ || !fs::exists(kJsDir / "node_modules" / "@saintno" / "comfyui-sdk") ||
            !fs::exists(kJsDir / "node_modules" / "@stable-canvas" / "comfyui-client") ||
            !fs::exists(kJsDir / "node_modules" / "ws"))
            return;
        dir_ = std::make_unique<TempDir>("weft-npm");
        const fs::path root = dir_->path();
        server_ = std::make_unique<ServeProcess>(
            free_loopback_port(),
            std::vector<std::string>{"--output-dir", (root / "output").string(), "--input-dir", (root / "input").string(),
                                     "--temp-dir", (root / "temp").string(), "--user-dir", (root / "user").string(),
                                     "--models", (root / "models").string()},
            root / "serve.log");
        ready_ = server_->wait_ready();
    }
    static void TearDownTestSuite() {
        server_.reset();
        dir_.reset();
    }

    void SetUp() override {
        if (!node_) GTEST_SKIP() << "node is not installed (scripts/setup.sh installs it)";
        if (!server_)
            GTEST_SKIP() << kJsDir / "node_modules" << " is missing: run `npm ci` in tests/server/js (scripts/setup.sh does)";
        ASSERT_TRUE(ready_) << "weft serve did not start:\n" << server_->log();
    }

    void run_client(const std::string& script) {
        const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
        ProcessResult r = run_process(*node_, {(kJsDir / script).string(), url, "--output-dir",
                                               (dir_->path() / "output").string(), "--timeout-ms", "90000"},
                                      kJsDir);
        EXPECT_EQ(r.exit_code, 0) << script << " failed\n--- stdout\n" << r.out << "--- stderr\n" << r.err
                                  << "--- weft serve\n" << server_->log();
        EXPECT_NE(r.out.find("OK "), std::string::npos) << r.out;
        std::cout << r.out;
    }

    static inline std::optional<fs::path> node_;
    static inline std::unique_ptr<TempDir> dir_;
    static inline std::unique_ptr<ServeProcess> server_;
    static inline bool ready_ = false;
};

TEST_F(NpmClients, SaintnoSdkRunsAWorkflowAndDownloadsItsImage) { run_client("saintno.mjs"); }

TEST_F(NpmClients, StableCanvasClientRunsOverWebSocketAndPolling) { run_client("stable_canvas.mjs"); }

TEST_F(NpmClients, BothClientsLeaveTheQueueEmptyAndHistoryComplete) {
    run_client("saintno.mjs");
    run_client("stable_canvas.mjs");
    nlohmann::json queue = http_get(server_->port(), "/queue").json();
    EXPECT_TRUE(queue["queue_running"].empty()) << queue.dump();
    EXPECT_TRUE(queue["queue_pending"].empty()) << queue.dump();
    nlohmann::json history = http_get(server_->port(), "/history").json();
    for (auto& [id, entry] : history.items())
        EXPECT_EQ(entry["status"]["status_str"], "success") << id << ": " << entry["status"].dump();
    EXPECT_GE(history.size(), 3u);
}

}  // namespace
