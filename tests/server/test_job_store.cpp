// JobStore: queue order, front, removal, history paging, persistence and crash recovery.
#include "server/job_store.h"

#include "tests/support/process_runner.h"

#include <weft/error.h>

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

namespace {

using weft::server::JobStore;
using weft::server::QueuedPrompt;
using weft::testing::TempDir;

QueuedPrompt make_prompt(const std::string& id, int64_t number) {
    QueuedPrompt p;
    p.prompt_id = id;
    p.number = number;
    p.prompt = {{"1", {{"class_type", "EmptyImage"}, {"inputs", {{"width", 8}, {"height", 8}}}}}};
    p.extra_data = {{"client_id", "c-" + id}, {"auth_token_comfy_org", "secret"}};
    p.client_id = "c-" + id;
    p.outputs_to_execute = nlohmann::json::array({"1"});
    p.options = {{"tag", id}};
    return p;
}

nlohmann::json success_entry(const QueuedPrompt& p, const std::string& marker = "ok") {
    return {{"prompt", {p.number, p.prompt_id, p.prompt, p.extra_data, p.outputs_to_execute}},
            {"outputs", {{"1", {{"text", {marker}}}}}},
            {"status", {{"status_str", "success"}, {"completed", true}, {"messages", nlohmann::json::array()}}},
            {"meta", nlohmann::json::object()}};
}

std::vector<std::string> ids(const std::vector<QueuedPrompt>& ps) {
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.prompt_id);
    return out;
}

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
    std::vector<std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
    return out;
}

// Fills history with a..e in that order.
void finish_five(JobStore& s) {
    for (std::string id : {"a", "b", "c", "d", "e"}) {
        auto p = make_prompt(id, s.next_number());
        s.enqueue(p);
        s.finish(id, success_entry(p));
    }
}

TEST(JobStore, CounterIncreasesFromZeroAndPersists) {
    TempDir dir("weft-jobstore");
    {
        JobStore s(dir / "queue.db");
        EXPECT_EQ(s.next_number(), 0);
        EXPECT_EQ(s.next_number(), 1);
        EXPECT_EQ(s.next_number(), 2);
    }
    JobStore s(dir / "queue.db");
    EXPECT_EQ(s.next_number(), 3);
}

TEST(JobStore, TakesLowestNumberFirstAndFrontJumpsAhead) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    s.enqueue(make_prompt("first", s.next_number()));
    s.enqueue(make_prompt("second", s.next_number()));
    s.enqueue(make_prompt("front", -s.next_number()));   // as /prompt with front: true
    s.enqueue(make_prompt("tie", 1));                     // equal numbers stay FIFO
    EXPECT_EQ(ids(s.pending()), (std::vector<std::string>{"front", "first", "second", "tie"}));

    auto p = s.take_next();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->prompt_id, "front");
    EXPECT_EQ(p->number, -2);
    EXPECT_EQ(p->client_id, "c-front");
    EXPECT_EQ(p->prompt["1"]["class_type"], "EmptyImage");
    EXPECT_EQ(p->outputs_to_execute, nlohmann::json::array({"1"}));
    EXPECT_EQ(p->options["tag"], "front");
    ASSERT_TRUE(s.running());
    EXPECT_EQ(s.running()->prompt_id, "front");
    EXPECT_EQ(ids(s.pending()), (std::vector<std::string>{"first", "second", "tie"}));

    s.finish("front", success_entry(*p));
    EXPECT_FALSE(s.running());
    EXPECT_EQ(s.take_next()->prompt_id, "first");
    s.finish("first", success_entry(*p));
    EXPECT_EQ(s.take_next()->prompt_id, "second");
    s.finish("second", success_entry(*p));
    EXPECT_EQ(s.take_next()->prompt_id, "tie");
    s.finish("tie", success_entry(*p));
    EXPECT_FALSE(s.take_next());
}

TEST(JobStore, AHeldPromptIsNotStartedNorSkipped) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    s.enqueue(make_prompt("a", s.next_number()));
    s.enqueue(make_prompt("b", s.next_number()));
    std::set<std::string> held = {"a"};
    auto is_held = [&](const std::string& id) { return held.count(id) > 0; };
    EXPECT_FALSE(s.take_next(is_held)) << "a later prompt ran before the held first one";
    EXPECT_FALSE(s.running());
    EXPECT_EQ(s.pending().size(), 2u);
    held.clear();
    auto p = s.take_next(is_held);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->prompt_id, "a");
}

TEST(JobStore, RejectsAnIdAlreadyQueued) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    s.enqueue(make_prompt("x", 0));
    try {
        s.enqueue(make_prompt("x", 1));
        FAIL() << "a duplicate id was queued";
    } catch (const weft::Error& e) {
        EXPECT_NE(std::string(e.what()).find("x"), std::string::npos);
    }
    EXPECT_EQ(s.pending().size(), 1u);
}

TEST(JobStore, RemovesAndClearsOnlyPendingPrompts) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    for (std::string id : {"a", "b", "c", "d"}) s.enqueue(make_prompt(id, s.next_number()));
    ASSERT_EQ(s.take_next()->prompt_id, "a");
    EXPECT_FALSE(s.remove_pending("a")) << "the running prompt is not pending";
    EXPECT_TRUE(s.remove_pending("c"));
    EXPECT_FALSE(s.remove_pending("c"));
    EXPECT_FALSE(s.remove_pending("nope"));
    EXPECT_EQ(ids(s.pending()), (std::vector<std::string>{"b", "d"}));
    s.clear_pending();
    EXPECT_TRUE(s.pending().empty());
    ASSERT_TRUE(s.running());
    EXPECT_EQ(s.running()->prompt_id, "a");
}

TEST(JobStore, HistoryPagesAsComfyUI) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    finish_five(s);
    using V = std::vector<std::string>;
    EXPECT_EQ(keys(s.history_ordered(std::nullopt)), (V{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(keys(s.history_ordered(2)), (V{"d", "e"})) << "max_items alone: the newest";
    EXPECT_EQ(keys(s.history_ordered(10)), (V{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(keys(s.history_ordered(2, 1)), (V{"b", "c"})) << "offset skips from the oldest";
    EXPECT_EQ(keys(s.history_ordered(std::nullopt, 3)), (V{"d", "e"}));
    EXPECT_EQ(keys(s.history_ordered(3, 4)), (V{"e"}));
    EXPECT_TRUE(s.history_ordered(2, 9).empty());

    nlohmann::json all = s.history(std::nullopt, -1);
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all["c"]["status"]["status_str"], "success");
    EXPECT_EQ(all["c"]["prompt"][1], "c");
}

TEST(JobStore, HistoryEntryDeleteAndClear) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    finish_five(s);
    auto e = s.history_entry("b");
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["outputs"]["1"]["text"][0], "ok");
    EXPECT_FALSE(s.history_entry("zz"));

    s.delete_history({"b", "d", "unknown"});
    EXPECT_EQ(keys(s.history_ordered(std::nullopt)), (std::vector<std::string>{"a", "c", "e"}));
    s.clear_history();
    EXPECT_TRUE(s.history(std::nullopt, -1).empty());
    EXPECT_FALSE(s.history_entry("a"));
}

TEST(JobStore, FinishingAnIdAgainReplacesItsEntryInPlace) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    finish_five(s);
    s.finish("b", success_entry(make_prompt("b", 1), "again"));
    EXPECT_EQ(keys(s.history_ordered(std::nullopt)), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
    EXPECT_EQ((*s.history_entry("b"))["outputs"]["1"]["text"][0], "again");
}

TEST(JobStore, EvictsTheOldestBeyondTheBound) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db", 3);
    finish_five(s);
    EXPECT_EQ(keys(s.history_ordered(std::nullopt)), (std::vector<std::string>{"c", "d", "e"}));
}

TEST(JobStore, QueueAndHistorySurviveReopening) {
    TempDir dir("weft-jobstore");
    {
        JobStore s(dir / "queue.db");
        finish_five(s);
        s.enqueue(make_prompt("p1", s.next_number()));
        s.enqueue(make_prompt("p2", -s.next_number()));
    }
    JobStore s(dir / "queue.db");
    EXPECT_EQ(ids(s.pending()), (std::vector<std::string>{"p2", "p1"}));
    EXPECT_FALSE(s.running());
    EXPECT_EQ(s.history(std::nullopt, -1).size(), 5u);
    EXPECT_EQ(s.pending()[1].extra_data["client_id"], "c-p1");
}

void expect_failed_by_stop(const JobStore& s, const std::string& id, int64_t number) {
    auto e = s.history_entry(id);
    ASSERT_TRUE(e) << id << " is not in history";
    EXPECT_EQ((*e)["status"]["status_str"], "error");
    EXPECT_EQ((*e)["status"]["completed"], false);
    const auto& msgs = (*e)["status"]["messages"];
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0][0], "execution_error");
    EXPECT_EQ(msgs[0][1]["prompt_id"], id);
    EXPECT_NE(msgs[0][1]["exception_message"].get<std::string>().find("weft stopped during the run"),
              std::string::npos);
    EXPECT_EQ((*e)["prompt"][0], number);
    EXPECT_EQ((*e)["prompt"][1], id);
    EXPECT_EQ((*e)["outputs"], nlohmann::json::object());
    EXPECT_FALSE((*e)["prompt"][3].contains("auth_token_comfy_org")) << "credentials reached history";
    EXPECT_EQ((*e)["prompt"][3]["client_id"], "c-" + id);
}

TEST(JobStore, APromptLeftRunningIsRecoveredAsFailed) {
    TempDir dir("weft-jobstore");
    {
        JobStore s(dir / "queue.db");
        for (std::string id : {"r", "q1", "q2"}) s.enqueue(make_prompt(id, s.next_number()));
        ASSERT_EQ(s.take_next()->prompt_id, "r");
    }
    JobStore s(dir / "queue.db");
    EXPECT_FALSE(s.running());
    EXPECT_EQ(ids(s.pending()), (std::vector<std::string>{"q1", "q2"}));
    expect_failed_by_stop(s, "r", 0);
}

// A real crash: a child process changes the store and dies by SIGKILL without closing it.
TEST(JobStore, NothingIsLostWhenTheProcessIsKilled) {
    TempDir dir("weft-jobstore");
    const auto db = dir / "queue.db";
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        {
            JobStore s(db);
            auto done = make_prompt("done", s.next_number());
            s.enqueue(done);
            s.enqueue(make_prompt("mid", s.next_number()));
            s.enqueue(make_prompt("waiting", s.next_number()));
            s.take_next();
            s.finish("done", success_entry(done));
            s.take_next();   // "mid" is running when the process dies
            raise(SIGKILL);
        }
        _exit(3);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    JobStore s(db);
    EXPECT_EQ(ids(s.pending()), (std::vector<std::string>{"waiting"}));
    EXPECT_FALSE(s.running());
    EXPECT_EQ((*s.history_entry("done"))["status"]["status_str"], "success");
    expect_failed_by_stop(s, "mid", 1);
    EXPECT_EQ(s.next_number(), 3) << "the counter survived the crash";
}

TEST(JobStore, ConcurrentEnqueueLosesNothing) {
    TempDir dir("weft-jobstore");
    JobStore s(dir / "queue.db");
    constexpr int kThreads = 8, kEach = 40;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i)
                s.enqueue(make_prompt(std::to_string(t) + "-" + std::to_string(i), s.next_number()));
        });
    // A worker drains while the clients enqueue, as the server's does.
    std::thread worker([&] {
        for (int done = 0; done < kThreads * kEach / 2;) {
            if (auto p = s.take_next()) {
                s.finish(p->prompt_id, success_entry(*p));
                ++done;
            }
        }
    });
    for (auto& t : threads) t.join();
    worker.join();

    auto rest = s.pending();
    auto hist = s.history(std::nullopt, -1);
    EXPECT_EQ(rest.size() + hist.size(), size_t{kThreads * kEach});
    std::set<int64_t> numbers;
    std::set<std::string> seen;
    for (const auto& p : rest) {
        numbers.insert(p.number);
        seen.insert(p.prompt_id);
    }
    for (auto it = hist.begin(); it != hist.end(); ++it) {
        numbers.insert(it.value()["prompt"][0].get<int64_t>());
        seen.insert(it.key());
    }
    EXPECT_EQ(numbers.size(), size_t{kThreads * kEach}) << "numbers were handed out twice";
    EXPECT_EQ(seen.size(), size_t{kThreads * kEach});
    for (size_t i = 1; i < rest.size(); ++i) EXPECT_LT(rest[i - 1].number, rest[i].number);
}

void expect_error_naming(const std::filesystem::path& file) {
    try {
        JobStore s(file);
        FAIL() << "opened " << file;
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.path(), file.string());
        EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
}

TEST(JobStore, ACorruptFileIsAClearError) {
    TempDir dir("weft-jobstore");
    const auto db = dir / "queue.db";
    {
        std::ofstream f(db, std::ios::binary);
        f << std::string(8192, 'x');
    }
    expect_error_naming(db);
}

TEST(JobStore, AnUnwritablePlaceIsAClearError) {
    TempDir dir("weft-jobstore");
    std::filesystem::create_directories(dir / "a-folder");
    expect_error_naming(dir / "a-folder");   // the path is a folder
    weft::testing::write_text_file(dir / "plain-file", "x");
    expect_error_naming(dir / "plain-file" / "queue.db");   // its parent is a file
}

TEST(JobStore, ASecondOpenOfTheSameFileIsRefused) {
    TempDir dir("weft-jobstore");
    JobStore first(dir / "queue.db");
    first.enqueue(make_prompt("kept", first.next_number()));
    ASSERT_TRUE(first.take_next());
    try {
        JobStore second(dir / "queue.db");
        FAIL() << "two stores own one queue";
    } catch (const weft::Error& e) {
        EXPECT_NE(std::string(e.what()).find("another weft serve"), std::string::npos) << e.what();
    }
    ASSERT_TRUE(first.running()) << "the refused open must not recover the live running prompt";
    EXPECT_EQ(first.running()->prompt_id, "kept");
}

}  // namespace
