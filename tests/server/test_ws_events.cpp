// WebSocket /ws: the status greeting, a run's event sequence, per-client routing, cached outputs,
// feature flags, and clients that vanish mid-run.
#include "server_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include <algorithm>

using namespace weft::server_test;
using nlohmann::json;

namespace {

std::vector<std::string> types_of(const std::vector<json>& msgs) {
    std::vector<std::string> t;
    for (const json& m : msgs) t.push_back(m.value("type", ""));
    return t;
}

size_t index_of(const std::vector<std::string>& v, const std::string& s, size_t from = 0) {
    auto it = std::find(v.begin() + std::min(from, v.size()), v.end(), s);
    return static_cast<size_t>(it - v.begin());
}

json slow_prompt(int steps, int ms) {
    return {{"1", {{"class_type", "TestSlowCounter"}, {"inputs", {{"steps", steps}, {"ms", ms}}}}}};
}

}  // namespace

TEST(WsEvents, ConnectSendsStatusWithSid) {
    TestServer srv;
    WsClient ws(srv.port(), "/ws?clientId=alice");
    const json m = ws.next_json();
    ASSERT_TRUE(m.is_object());
    EXPECT_EQ(m["type"], "status");
    EXPECT_EQ(m["data"]["sid"], "alice");
    EXPECT_EQ(m["data"]["status"]["exec_info"]["queue_remaining"], 0);
    // Also under /api, and without a clientId the server picks one.
    WsClient anon(srv.port(), "/api/ws");
    const json a = anon.next_json();
    EXPECT_EQ(a["type"], "status");
    EXPECT_EQ(a["data"]["sid"].get<std::string>().size(), 32u);
}

TEST(WsEvents, RunSendsComfyUIEventSequence) {
    TestServer srv;
    WsClient ws(srv.port(), "/ws?clientId=c1");
    ASSERT_EQ(ws.next_json()["type"], "status");
    json p = invert_prompt("seq");
    p["4"] = {{"class_type", "TestSlowCounter"}, {"inputs", {{"steps", 3}, {"ms", 1}}}};
    const auto r = srv.queue_prompt(p, {{"client_id", "c1"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string id = r.json()["prompt_id"];
    const auto msgs = ws.collect_until([&](const json& m) { return is_run_end(m, id); });
    ASSERT_FALSE(msgs.empty());
    ASSERT_TRUE(is_run_end(msgs.back(), id)) << "no final executing{node: null}";
    const auto all_types = types_of(msgs);
    EXPECT_LT(index_of(all_types, "status"), index_of(all_types, "execution_start"));  // the queue change is announced first
    // `status` broadcasts come from the HTTP threads too, so they may interleave; the run's own
    // events keep their order.
    std::vector<std::string> t;
    for (size_t i = 0; i + 1 < all_types.size(); ++i)
        if (all_types[i] != "status") t.push_back(all_types[i]);
    t.push_back(all_types.back());
    const size_t start = index_of(t, "execution_start");
    ASSERT_LT(start, t.size());
    EXPECT_EQ(index_of(t, "execution_cached"), start + 1);
    const size_t executing = index_of(t, "executing", start);
    EXPECT_GT(executing, start + 1);
    EXPECT_LT(index_of(t, "progress", start), t.size());
    EXPECT_LT(index_of(t, "progress_state", start), t.size());
    const size_t executed = index_of(t, "executed", start);
    EXPECT_GT(executed, executing);
    const size_t success = index_of(t, "execution_success", start);
    EXPECT_GT(success, executed);
    EXPECT_EQ(t.size(), success + 2);  // execution_success, then executing null last
    EXPECT_LT(index_of(all_types, "status", index_of(all_types, "execution_success")), all_types.size() - 1);  // status between them
    for (const json& m : msgs) {
        if (m["type"] == "status") continue;
        EXPECT_EQ(m["data"]["prompt_id"], id) << m.dump();
    }
    // The node ids reported: every node executes once, and executed carries the SaveImage UI.
    std::vector<std::string> ran;
    json saved;
    for (const json& m : msgs) {
        if (m["type"] == "executing" && !m["data"]["node"].is_null()) ran.push_back(m["data"]["node"]);
        if (m["type"] == "executed" && m["data"]["node"] == "3") saved = m["data"]["output"];
        if (m["type"] == "progress") {
            EXPECT_EQ(m["data"]["node"], "4");
            EXPECT_EQ(m["data"]["max"], 3);
        }
    }
    std::sort(ran.begin(), ran.end());
    EXPECT_EQ(ran, (std::vector<std::string>{"1", "2", "3", "4"}));
    ASSERT_TRUE(saved.is_object());
    EXPECT_EQ(saved["images"][0]["type"], "output");

    // Again: everything is cached; output nodes report `executed` without `executing`.
    const std::string id2 = srv.queue_prompt(p, {{"client_id", "c1"}}).json()["prompt_id"];
    const auto again = ws.collect_until([&](const json& m) { return is_run_end(m, id2); });
    ASSERT_TRUE(!again.empty() && is_run_end(again.back(), id2));
    std::vector<std::string> executed_nodes;
    for (const json& m : again) {
        if (m["type"] == "executing") {
            EXPECT_TRUE(m["data"]["node"].is_null()) << m.dump();
        }
        if (m["type"] == "executed") executed_nodes.push_back(m["data"]["node"]);
        if (m["type"] == "execution_cached") {
            EXPECT_EQ(m["data"]["nodes"].size(), 4u);
        }
    }
    std::sort(executed_nodes.begin(), executed_nodes.end());
    EXPECT_EQ(executed_nodes, (std::vector<std::string>{"3", "4"}));
}

TEST(WsEvents, TwoClientsEachGetOnlyTheirOwnPromptEvents) {
    TestServer srv;
    WsClient a(srv.port(), "/ws?clientId=client-a");
    WsClient b(srv.port(), "/ws?clientId=client-b");
    ASSERT_EQ(a.next_json()["type"], "status");
    ASSERT_EQ(b.next_json()["type"], "status");
    const std::string ida = srv.queue_prompt(slow_prompt(3, 5), {{"client_id", "client-a"}}).json()["prompt_id"];
    const std::string idb = srv.queue_prompt(slow_prompt(4, 5), {{"client_id", "client-b"}}).json()["prompt_id"];
    const auto ma = a.collect_until([&](const json& m) { return is_run_end(m, ida); });
    const auto mb = b.collect_until([&](const json& m) { return is_run_end(m, idb); });
    ASSERT_TRUE(!ma.empty() && is_run_end(ma.back(), ida));
    ASSERT_TRUE(!mb.empty() && is_run_end(mb.back(), idb));
    for (const json& m : ma)
        if (m["data"].contains("prompt_id")) {
            EXPECT_EQ(m["data"]["prompt_id"], ida) << m.dump();
        }
    for (const json& m : mb)
        if (m["data"].contains("prompt_id")) {
            EXPECT_EQ(m["data"]["prompt_id"], idb) << m.dump();
        }
    // After b's run ended, a has nothing of b's waiting either.
    for (const auto& m : a.drain()) EXPECT_EQ(json::parse(m.data)["data"].value("prompt_id", ida), ida);
}

TEST(WsEvents, PromptWithoutClientIdBroadcastsOnlyProgress) {
    TestServer srv;
    WsClient ws(srv.port(), "/ws?clientId=watcher");
    ASSERT_EQ(ws.next_json()["type"], "status");
    const std::string id = srv.queue_prompt(slow_prompt(3, 1)).json()["prompt_id"];
    ASSERT_FALSE(srv.wait_history(id).is_discarded());
    std::set<std::string> seen;
    for (const auto& m : ws.drain(std::chrono::milliseconds(300))) seen.insert(json::parse(m.data)["type"].get<std::string>());
    EXPECT_TRUE(seen.count("progress"));
    EXPECT_TRUE(seen.count("status"));
    for (const char* t : {"execution_start", "execution_cached", "executing", "executed", "execution_success"}) EXPECT_FALSE(seen.count(t)) << t;
}

TEST(WsEvents, InterruptSendsExecutionInterrupted) {
    TestServer srv;
    WsClient ws(srv.port(), "/ws?clientId=stopper");
    ASSERT_EQ(ws.next_json()["type"], "status");
    const std::string id = srv.queue_prompt(slow_prompt(1000, 5), {{"client_id", "stopper"}}).json()["prompt_id"];
    const auto first = ws.collect_until([](const json& m) { return m["type"] == "progress"; });
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(srv.post("/api/interrupt", "").status, 200);  // no body: interrupt whatever runs
    const auto rest = ws.collect_until([&](const json& m) { return is_run_end(m, id); }, std::chrono::seconds(10));
    ASSERT_TRUE(!rest.empty() && is_run_end(rest.back(), id));
    const auto t = types_of(rest);
    EXPECT_LT(index_of(t, "execution_interrupted"), t.size());
    EXPECT_EQ(index_of(t, "execution_success"), t.size());
    EXPECT_EQ(srv.wait_history(id)["status"]["status_str"], "error");
}

TEST(WsEvents, FeatureFlagsAreAnsweredOnlyAsFirstMessage) {
    TestServer srv;
    WsClient ws(srv.port(), "/ws?clientId=ff");
    ASSERT_EQ(ws.next_json()["type"], "status");
    ws.send_text(R"({"type": "feature_flags", "data": {"supports_preview_metadata": true}})");
    const json reply = ws.next_json(std::chrono::seconds(5));
    ASSERT_TRUE(reply.is_object());
    EXPECT_EQ(reply["type"], "feature_flags");
    EXPECT_EQ(reply["data"]["supports_preview_metadata"], true);
    ws.send_text(R"({"type": "feature_flags", "data": {}})");
    EXPECT_TRUE(ws.drain(std::chrono::milliseconds(200)).empty());
}

TEST(WsEvents, ClientVanishingMidRunDoesNotStopTheServer) {
    TestServer srv;
    std::string id;
    {
        WsClient ws(srv.port(), "/ws?clientId=ghost");
        ASSERT_EQ(ws.next_json()["type"], "status");
        id = srv.queue_prompt(slow_prompt(30, 5), {{"client_id", "ghost"}}).json()["prompt_id"];
        ASSERT_FALSE(ws.collect_until([](const json& m) { return m["type"] == "progress"; }).empty());
        ws.abort();
    }
    const json h = srv.wait_history(id);
    ASSERT_FALSE(h.is_discarded());
    EXPECT_EQ(h["status"]["status_str"], "success");
    // Still serving HTTP and WebSocket.
    WsClient again(srv.port(), "/ws?clientId=ghost");
    EXPECT_EQ(again.next_json()["type"], "status");
    const std::string id2 = srv.queue_prompt(invert_prompt(), {{"client_id", "ghost"}}).json()["prompt_id"];
    const auto msgs = again.collect_until([&](const json& m) { return is_run_end(m, id2); });
    EXPECT_TRUE(!msgs.empty() && is_run_end(msgs.back(), id2));
}
