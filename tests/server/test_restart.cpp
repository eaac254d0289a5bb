// kill -9 of `weft serve` in the middle of a run: after a restart nothing queued is lost, finished
// results are still in history, and the interrupted prompt is reported as failed with the reason.
#include "server/job_store.h"

#include "tests/support/http_test_client.h"
#include "tests/support/process_runner.h"
#include "tests/support/serve_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

namespace fs = std::filesystem;
using namespace weft::testing;
using nlohmann::json;

json quick_workflow(const std::string& prefix) {
    return {{"1", {{"class_type", "EmptyImage"}, {"inputs", {{"width", 32}, {"height", 24}, {"batch_size", 1}, {"color", 255}}}}},
            {"2", {{"class_type", "SaveImage"}, {"inputs", {{"images", {"1", 0}}, {"filename_prefix", prefix}}}}}};
}

// Three chained wide Gaussian blurs of a 2048x1024 image: seconds of work on one thread, and no model.
json slow_workflow() {
    json wf = {{"1", {{"class_type", "EmptyImage"}, {"inputs", {{"width", 2048}, {"height", 1024}, {"batch_size", 1}, {"color", 0x3366cc}}}}}};
    std::string prev = "1";
    for (std::string id : {"2", "3", "4"}) {
        wf[id] = {{"class_type", "ImageBlur"}, {"inputs", {{"image", {prev, 0}}, {"blur_radius", 31}, {"sigma", 10.0}}}};
        prev = id;
    }
    wf["5"] = {{"class_type", "GetImageSize"}, {"inputs", {{"image", {prev, 0}}}}};
    wf["6"] = {{"class_type", "PreviewAny"}, {"inputs", {{"source", {"5", 0}}}}};
    return wf;
}

struct Queued {
    std::string id;
    int64_t number;
};

Queued post_prompt(uint16_t port, const json& wf) {
    HttpReply r = http_post_json(port, "/prompt", {{"prompt", wf}, {"client_id", "restart-test"}});
    EXPECT_EQ(r.status, 200) << r.body;
    json j = r.json();
    return {j.at("prompt_id").get<std::string>(), j.at("number").get<int64_t>()};
}

json history_of(uint16_t port, const std::string& id) {
    json h = http_get(port, "/history/" + id).json();
    return h.contains(id) ? h[id] : json();
}

// Polls until `pred` holds; false when `timeout` ran out first.
template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

std::vector<std::string> ids_in(const json& items) {
    std::vector<std::string> out;
    for (const json& item : items) out.push_back(item.at(1).get<std::string>());
    return out;
}

TEST(ServerRestart, KillNineMidRunLosesNothing) {
    TempDir dir("weft-restart");
    const fs::path root = dir.path();
    const std::vector<std::string> args = {"--output-dir", (root / "output").string(), "--input-dir", (root / "input").string(),
                                           "--temp-dir",   (root / "temp").string(),   "--user-dir",  (root / "user").string(),
                                           "--models",     (root / "models").string(), "--threads",   "1",
                                           "--database",   (root / "user" / "weft" / "queue.db").string()};
    const uint16_t port = free_loopback_port();
    std::vector<Queued> waiting;
    Queued done, slow;
    {
        ServeProcess server(port, args, root / "serve1.log");
        ASSERT_TRUE(server.wait_ready()) << server.log();
        done = post_prompt(port, quick_workflow("restart_done"));
        ASSERT_TRUE(wait_for([&] { return !history_of(port, done.id).is_null(); }, std::chrono::seconds(60))) << server.log();

        slow = post_prompt(port, slow_workflow());
        for (int i = 0; i < 3; ++i) waiting.push_back(post_prompt(port, quick_workflow("restart_q" + std::to_string(i))));
        ASSERT_TRUE(wait_for(
            [&] {
                json q = http_get(port, "/queue").json();
                return ids_in(q["queue_running"]) == std::vector<std::string>{slow.id};
            },
            std::chrono::seconds(60)))
            << server.log();
        server.kill_hard();
    }

    // What the dead process left on disk, read from a copy (opening it recovers the copy only).
    {
        TempDir copy("weft-restart-db");
        for (const auto& e : fs::directory_iterator(root / "user" / "weft"))
            fs::copy_file(e.path(), copy.path() / e.path().filename());
        weft::server::JobStore store(copy.path() / "queue.db");
        std::vector<std::string> pending;
        for (const auto& p : store.pending()) pending.push_back(p.prompt_id);
        EXPECT_EQ(pending, (std::vector<std::string>{waiting[0].id, waiting[1].id, waiting[2].id}));
        ASSERT_TRUE(store.history_entry(done.id));
        EXPECT_EQ((*store.history_entry(done.id))["status"]["status_str"], "success");
        ASSERT_TRUE(store.history_entry(slow.id)) << "the running prompt was not recovered";
    }

    ServeProcess server(port, args, root / "serve2.log");
    ASSERT_TRUE(server.wait_ready()) << server.log();

    // The interrupted prompt: failed, with the reason, and no longer in the queue.
    json failed = history_of(port, slow.id);
    ASSERT_FALSE(failed.is_null()) << "the interrupted prompt is not in /history";
    EXPECT_EQ(failed["status"]["status_str"], "error");
    EXPECT_EQ(failed["status"]["completed"], false);
    bool has_reason = false;
    for (const json& m : failed["status"]["messages"])
        if (m[0] == "execution_error" &&
            m[1]["exception_message"].get<std::string>().find("weft stopped during the run") != std::string::npos)
            has_reason = true;
    EXPECT_TRUE(has_reason) << failed["status"].dump();

    // The finished one is still there; the queued ones run now, in their order.
    EXPECT_EQ(history_of(port, done.id)["status"]["status_str"], "success");
    ASSERT_TRUE(wait_for(
        [&] {
            for (const Queued& q : waiting)
                if (history_of(port, q.id).is_null()) return false;
            return true;
        },
        std::chrono::seconds(60)))
        << server.log();
    for (const Queued& q : waiting) {
        json e = history_of(port, q.id);
        EXPECT_EQ(e["status"]["status_str"], "success") << q.id << ": " << e["status"].dump();
        EXPECT_EQ(e["prompt"][0], q.number);
        ASSERT_TRUE(e["outputs"].contains("2")) << e.dump();
        const std::string file = e["outputs"]["2"]["images"][0]["filename"];
        EXPECT_TRUE(fs::exists(root / "output" / file)) << file;
    }
    json q = http_get(port, "/queue").json();
    EXPECT_TRUE(q["queue_running"].empty() && q["queue_pending"].empty()) << q.dump();

    // ComfyUI's counter carries on after the restart.
    Queued after = post_prompt(port, quick_workflow("restart_after"));
    EXPECT_GT(after.number, waiting.back().number);
    server.stop();
}

}  // namespace
