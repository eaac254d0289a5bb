// POST /prompt, GET/POST /queue, /history, /interrupt: the queue behaviour ComfyUI clients rely on.
#include "server_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include <filesystem>

using namespace weft::server_test;
using nlohmann::json;

namespace {

json slow_prompt(int steps, int ms) {
    return {{"1", {{"class_type", "TestSlowCounter"}, {"inputs", {{"steps", steps}, {"ms", ms}}}}}};
}

// Waits until the worker has taken a prompt (queue_running non-empty).
bool wait_running(const TestServer& srv, const std::string& id) {
    for (int i = 0; i < 500; ++i) {
        const json q = srv.get("/queue").json();
        if (!q["queue_running"].empty() && q["queue_running"][0][1] == id) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

}  // namespace

TEST(HttpPrompt, QueuesRunsAndRecordsHistory) {
    TestServer srv;
    const auto r = srv.queue_prompt(invert_prompt("hist"), {{"prompt_id", "my-own-id"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json j = r.json();
    EXPECT_EQ(j["prompt_id"], "my-own-id");  // a client-chosen id is honoured
    EXPECT_TRUE(j["number"].is_number_integer());
    EXPECT_TRUE(j["node_errors"].is_object() && j["node_errors"].empty());

    const json h = srv.wait_history("my-own-id");
    ASSERT_FALSE(h.is_discarded()) << "the prompt never reached history";
    EXPECT_EQ(h["status"]["status_str"], "success");
    EXPECT_EQ(h["status"]["completed"], true);
    ASSERT_TRUE(h["prompt"].is_array());
    ASSERT_EQ(h["prompt"].size(), 5u);
    EXPECT_EQ(h["prompt"][1], "my-own-id");
    EXPECT_EQ(h["prompt"][2]["3"]["class_type"], "SaveImage");
    EXPECT_EQ(h["prompt"][4], json::array({"3"}));
    const json images = h["outputs"]["3"]["images"];
    ASSERT_EQ(images.size(), 1u);
    EXPECT_EQ(images[0]["type"], "output");
    const std::string filename = images[0]["filename"];
    EXPECT_TRUE(std::filesystem::exists(srv.config().folders.output / images[0].value("subfolder", "") / filename));
    EXPECT_EQ(h["meta"]["3"]["node_id"], "3");
    std::vector<std::string> kinds;
    for (const json& m : h["status"]["messages"]) kinds.push_back(m[0]);
    EXPECT_EQ(kinds, (std::vector<std::string>{"execution_start", "execution_cached", "execution_success"}));

    // The history route also answers under /api, and the full listing holds the entry.
    EXPECT_TRUE(srv.get("/api/history/my-own-id").json().contains("my-own-id"));
    EXPECT_TRUE(srv.get("/history").json().contains("my-own-id"));
    EXPECT_EQ(srv.get("/history/unknown-id").json(), json::object());
}

TEST(HttpPrompt, MissingPromptIs400NoPrompt) {
    TestServer srv;
    const auto r = srv.post("/prompt", R"({"client_id": "x"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()["error"]["type"], "no_prompt");
    EXPECT_TRUE(r.json()["node_errors"].is_object());
}

TEST(HttpPrompt, InvalidPromptIs400WithNodeErrors) {
    TestServer srv;
    json p = invert_prompt();
    p["1"]["inputs"]["width"] = "not a number";
    const auto r = srv.queue_prompt(p);
    EXPECT_EQ(r.status, 400) << r.body;
    const json j = r.json();
    EXPECT_EQ(j["error"]["type"], "prompt_outputs_failed_validation");
    ASSERT_TRUE(j["node_errors"].contains("1")) << r.body;
    EXPECT_EQ(j["node_errors"]["1"]["errors"][0]["type"], "invalid_input_type");

    json unknown = {{"1", {{"class_type", "NoSuchNode"}, {"inputs", json::object()}}}};
    const auto u = srv.queue_prompt(unknown);
    EXPECT_EQ(u.status, 400);
    EXPECT_TRUE(u.json()["error"].is_object());
    // Nothing was queued.
    EXPECT_TRUE(srv.get("/queue").json()["queue_pending"].empty());
}

TEST(HttpPrompt, PartialExecutionTargetsAndPolicy) {
    TestServer srv;
    json p = invert_prompt("partial");
    p["9"] = {{"class_type", "TestSlowCounter"}, {"inputs", {{"steps", 1}, {"ms", 0}}}};
    const auto r = srv.queue_prompt(p, {{"partial_execution_targets", {"9"}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json h = srv.wait_history(r.json()["prompt_id"]);
    ASSERT_FALSE(h.is_discarded());
    EXPECT_TRUE(h["outputs"].contains("9"));
    EXPECT_FALSE(h["outputs"].contains("3"));  // SaveImage was not a target
    EXPECT_EQ(srv.queue_prompt(p, {{"partial_execution_targets", json::array()}}).status, 400);
    EXPECT_EQ(srv.queue_prompt(p, {{"node_failure_policy", "sometimes"}}).status, 400);
    EXPECT_EQ(srv.queue_prompt(p, {{"node_failure_policy", "continue_independent"}}).status, 200);
}

TEST(HttpPrompt, FailingNodeRecordsErrorAndNextPromptRuns) {
    TestServer srv;
    const auto r = srv.queue_prompt({{"1", {{"class_type", "TestFail"}, {"inputs", {{"message", "planned"}}}}}});
    ASSERT_EQ(r.status, 200);
    const json h = srv.wait_history(r.json()["prompt_id"]);
    ASSERT_FALSE(h.is_discarded());
    EXPECT_EQ(h["status"]["status_str"], "error");
    EXPECT_EQ(h["status"]["completed"], false);
    bool has_error = false;
    for (const json& m : h["status"]["messages"])
        if (m[0] == "execution_error") {
            has_error = true;
            EXPECT_NE(m[1]["exception_message"].get<std::string>().find("planned"), std::string::npos);
            EXPECT_EQ(m[1]["node_id"], "1");
        }
    EXPECT_TRUE(has_error);
    const auto ok = srv.queue_prompt(invert_prompt());
    EXPECT_EQ(srv.wait_history(ok.json()["prompt_id"])["status"]["status_str"], "success");
}

TEST(HttpPrompt, QueueListsRunningAndPendingAndDeletesPendingOnly) {
    TestServer srv;
    const auto a = srv.queue_prompt(slow_prompt(200, 10));  // ~2 s, keeps the worker busy
    const std::string a_id = a.json()["prompt_id"];
    ASSERT_TRUE(wait_running(srv, a_id));
    const std::string b_id = srv.queue_prompt(slow_prompt(1, 0)).json()["prompt_id"];
    const std::string c_id = srv.queue_prompt(slow_prompt(2, 0)).json()["prompt_id"];

    json q = srv.get("/queue").json();
    ASSERT_EQ(q["queue_running"].size(), 1u);
    EXPECT_EQ(q["queue_running"][0][1], a_id);
    ASSERT_EQ(q["queue_pending"].size(), 2u);
    EXPECT_EQ(q["queue_pending"][0].size(), 5u);  // [number, id, prompt, extra_data, outputs]
    EXPECT_EQ(srv.get("/prompt").json()["exec_info"]["queue_remaining"], 3);

    EXPECT_EQ(srv.post("/queue", json{{"delete", {b_id, a_id}}}.dump()).status, 200);
    q = srv.get("/queue").json();
    ASSERT_EQ(q["queue_running"].size(), 1u);  // deleting the running prompt is a no-op
    ASSERT_EQ(q["queue_pending"].size(), 1u);
    EXPECT_EQ(q["queue_pending"][0][1], c_id);
    EXPECT_EQ(srv.post("/api/queue", R"({"clear": true})").status, 200);
    EXPECT_TRUE(srv.get("/queue").json()["queue_pending"].empty());

    // Interrupt with another prompt's id does nothing; with the running id it stops it.
    EXPECT_EQ(srv.post("/interrupt", R"({"prompt_id": "not-running"})").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(srv.get("/queue").json()["queue_running"].size(), 1u);
    EXPECT_EQ(srv.post("/interrupt", json{{"prompt_id", a_id}}.dump()).status, 200);
    const json h = srv.wait_history(a_id, std::chrono::seconds(10));
    ASSERT_FALSE(h.is_discarded());
    EXPECT_EQ(h["status"]["status_str"], "error");
    bool interrupted = false;
    for (const json& m : h["status"]["messages"]) interrupted = interrupted || m[0] == "execution_interrupted";
    EXPECT_TRUE(interrupted);
    EXPECT_FALSE(srv.wait_history(b_id, std::chrono::milliseconds(100)).is_object());  // deleted, never ran
}

TEST(HttpPrompt, FrontJumpsTheQueueAndLowerNumbersRunFirst) {
    TestServer srv;
    const std::string blocker = srv.queue_prompt(slow_prompt(50, 10)).json()["prompt_id"];
    ASSERT_TRUE(wait_running(srv, blocker));
    const json late = srv.queue_prompt(slow_prompt(1, 0)).json();
    const json front = srv.queue_prompt(slow_prompt(2, 0), {{"front", true}}).json();
    EXPECT_LT(front["number"].get<int64_t>(), late["number"].get<int64_t>());
    const json pending = srv.get("/queue").json()["queue_pending"];
    ASSERT_EQ(pending.size(), 2u);
    EXPECT_EQ(pending[0][1], front["prompt_id"]);
    EXPECT_EQ(pending[1][1], late["prompt_id"]);
    // Both run, front first: its history entry exists when the late one's does.
    ASSERT_FALSE(srv.wait_history(late["prompt_id"]).is_discarded());
    const auto history = nlohmann::ordered_json::parse(srv.get("/history").body);  // key order matters here
    std::vector<std::string> order;
    for (auto& [id, entry] : history.items()) order.push_back(id);
    const auto pos = [&](const std::string& id) { return std::find(order.begin(), order.end(), id) - order.begin(); };
    EXPECT_LT(pos(front["prompt_id"]), pos(late["prompt_id"]));
}

TEST(HttpPrompt, HistoryWindowsDeleteAndClear) {
    TestServer srv;
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(srv.queue_prompt(slow_prompt(i + 1, 0)).json()["prompt_id"]);
    ASSERT_FALSE(srv.wait_history(ids.back()).is_discarded());
    auto keys = [&](const std::string& target) {  // ids in the order the body lists them
        std::vector<std::string> k;
        const auto body = nlohmann::ordered_json::parse(srv.get(target).body);
        for (auto& [id, e] : body.items()) k.push_back(id);
        return k;
    };
    EXPECT_EQ(keys("/history?max_items=2"), (std::vector<std::string>{ids[2], ids[3]}));
    EXPECT_EQ(keys("/history?offset=1&max_items=2"), (std::vector<std::string>{ids[1], ids[2]}));
    EXPECT_EQ(keys("/history"), ids);
    EXPECT_EQ(srv.get("/history?offset=10&max_items=2").json(), json::object());
    EXPECT_EQ(srv.get("/history?max_items=abc").status, 400);
    EXPECT_EQ(srv.post("/history", json{{"delete", {ids[0]}}}.dump()).status, 200);
    EXPECT_FALSE(srv.get("/history").json().contains(ids[0]));
    EXPECT_EQ(srv.post("/history", R"({"clear": true})").status, 200);
    EXPECT_EQ(srv.get("/history").json(), json::object());
}

TEST(HttpPrompt, FreeIsAcceptedAndTheNextRunRecomputes) {
    TestServer srv;
    const std::string a = srv.queue_prompt(invert_prompt("free")).json()["prompt_id"];
    ASSERT_FALSE(srv.wait_history(a).is_discarded());
    EXPECT_EQ(srv.post("/free", R"({"unload_models": true, "free_memory": true})").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string b = srv.queue_prompt(invert_prompt("free")).json()["prompt_id"];
    const json h = srv.wait_history(b);
    ASSERT_FALSE(h.is_discarded());
    // After /free nothing is served from the cache.
    for (const json& m : h["status"]["messages"])
        if (m[0] == "execution_cached") {
            EXPECT_TRUE(m[1]["nodes"].empty()) << m.dump();
        }
    // Without /free, resubmitting runs nothing new: every node is a cache hit.
    const std::string c = srv.queue_prompt(invert_prompt("free")).json()["prompt_id"];
    const json hc = srv.wait_history(c);
    for (const json& m : hc["status"]["messages"])
        if (m[0] == "execution_cached") {
            EXPECT_EQ(m[1]["nodes"].size(), 3u) << m.dump();
        }
}
