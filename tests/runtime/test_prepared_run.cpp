// A repeated run of the same workflow reuses its validation and keys; anything that could change
// the outcome (a changed constant, targets, validation reading outside state, fingerprints) does not.
#include <weft/weft.h>

#include <gtest/gtest.h>

#include <atomic>

namespace {

struct Counters {
    std::atomic<int> executed{0}, validated{0}, fingerprinted{0};
};

std::shared_ptr<weft::NodeRegistry> make_registry(Counters& c) {
    auto reg = std::make_shared<weft::NodeRegistry>();
    weft::NodeDefinition src;
    src.schema = weft::NodeSchema("Src").required(weft::Input::integer("value", 0).min(0).max(100)).output("INT");
    src.execute = [&c](weft::NodeContext& ctx) {
        ++c.executed;
        ctx.set_output(0, ctx.get_int("value"));
    };
    reg->add(std::move(src));

    weft::NodeDefinition checked;  // a custom validate function: may read outside state, never memoised
    checked.schema = weft::NodeSchema("Checked").required(weft::Input::type_of("x", "INT")).output("INT").output_node();
    checked.validate = [&c](const weft::ValidateArgs&) -> std::optional<std::string> {
        ++c.validated;
        return std::nullopt;
    };
    checked.execute = [&c](weft::NodeContext& ctx) {
        ++c.executed;
        ctx.set_output(0, ctx.get_int("x"));
    };
    reg->add(std::move(checked));

    weft::NodeDefinition sink;
    sink.schema = weft::NodeSchema("Sink").required(weft::Input::type_of("x", "INT")).output("INT").output_node();
    sink.execute = [&c](weft::NodeContext& ctx) {
        ++c.executed;
        ctx.set_output(0, ctx.get_int("x"));
    };
    reg->add(std::move(sink));

    weft::NodeDefinition changing;  // fingerprint: keys must be recomputed every run
    changing.schema = weft::NodeSchema("Changing").required(weft::Input::integer("value", 0)).output("INT");
    changing.fingerprint = [&c](weft::NodeContext&) -> std::optional<weft::Value> { return weft::Value(int64_t(++c.fingerprinted)); };
    changing.execute = [&c](weft::NodeContext& ctx) {
        ++c.executed;
        ctx.set_output(0, ctx.get_int("value"));
    };
    reg->add(std::move(changing));
    return reg;
}

weft::Workflow chain(int value) {
    weft::Workflow wf;
    wf.add("1", "Src").set("value", value);
    wf.add("2", "Sink").link("x", "1");
    return wf;
}

TEST(PreparedRun, RepeatIsFullyCachedAndAChangedConstantIsValidatedAgain) {
    Counters c;
    weft::Session session(make_registry(c));
    ASSERT_EQ(session.run(chain(5)).status, weft::RunStatus::Success);
    EXPECT_EQ(c.executed, 2);
    weft::RunResult again = session.run(chain(5));
    ASSERT_EQ(again.status, weft::RunStatus::Success);
    EXPECT_EQ(again.cached.size(), 2u);
    EXPECT_EQ(c.executed, 2);
    EXPECT_EQ(again.output("2").as_int(), 5);

    weft::RunResult bad = session.run(chain(500));  // out of range: must not reuse the last validation
    EXPECT_EQ(bad.status, weft::RunStatus::Invalid);
    EXPECT_FALSE(bad.validation.ok());

    weft::RunResult other = session.run(chain(7));
    ASSERT_EQ(other.status, weft::RunStatus::Success);
    EXPECT_EQ(other.output("2").as_int(), 7);
    EXPECT_EQ(c.executed, 4);
}

TEST(PreparedRun, TargetsArePartOfTheRepeat) {
    Counters c;
    weft::Session session(make_registry(c));
    weft::Workflow wf = chain(3);
    wf.add("4", "Src").set("value", 4);
    wf.add("3", "Sink").link("x", "4");
    weft::RunOptions only2;
    only2.targets = std::vector<std::string>{"2"};
    weft::RunResult a = session.run(wf, only2);
    ASSERT_EQ(a.status, weft::RunStatus::Success);
    EXPECT_EQ(a.outputs.count("3"), 0u);
    weft::RunResult b = session.run(wf);  // all outputs now: node 3 must run
    ASSERT_EQ(b.status, weft::RunStatus::Success);
    EXPECT_EQ(b.output("3").as_int(), 4);
    EXPECT_EQ(c.executed, 4);
}

TEST(PreparedRun, CustomValidationRunsEveryTime) {
    Counters c;
    weft::Session session(make_registry(c));
    weft::Workflow wf;
    wf.add("1", "Src").set("value", 1);
    wf.add("2", "Checked").link("x", "1");
    ASSERT_EQ(session.run(wf).status, weft::RunStatus::Success);
    ASSERT_EQ(session.run(wf).status, weft::RunStatus::Success);
    EXPECT_EQ(c.validated, 2);
}

TEST(PreparedRun, FingerprintedNodesAreKeyedEveryRun) {
    Counters c;
    weft::Session session(make_registry(c));
    weft::Workflow wf;
    wf.add("1", "Changing").set("value", 1);
    wf.add("2", "Sink").link("x", "1");
    ASSERT_EQ(session.run(wf).status, weft::RunStatus::Success);
    ASSERT_EQ(session.run(wf).status, weft::RunStatus::Success);
    EXPECT_EQ(c.fingerprinted, 2);
    EXPECT_EQ(c.executed, 4);  // a new fingerprint each run: both nodes run again
}

TEST(PreparedRun, ClearCacheStartsCold) {
    Counters c;
    weft::Session session(make_registry(c));
    ASSERT_EQ(session.run(chain(2)).status, weft::RunStatus::Success);
    session.clear_cache();
    weft::RunResult r = session.run(chain(2));
    ASSERT_EQ(r.status, weft::RunStatus::Success);
    EXPECT_TRUE(r.cached.empty());
    EXPECT_EQ(c.executed, 4);
}

}  // namespace
