// Free at last use: when the cache keeps nothing (mode none), the executor drops a result the run
// does not return as soon as its last consumer has run — lazy consumers and expansions included.
// The nodes here make an object whose lifetime a weak_ptr observes.
#include "runtime_fixture.h"

#include <atomic>

using namespace weft;
using namespace weft::testing;

namespace {

struct Tracked {};
std::weak_ptr<const Tracked> g_made;  // the object TrackedMake made last
std::atomic<int> g_makes{0};

std::shared_ptr<NodeRegistry> tracked_registry() {
    auto reg = test_registry();
    {
        NodeDefinition d{NodeSchema("TrackedMake").required(Input::integer("seed", 0)).output("TRACKED")};
        d.execute = [](NodeContext& ctx) {
            auto p = std::make_shared<const Tracked>();
            g_made = p;
            ++g_makes;
            ctx.set_output(0, Value::object<Tracked>(p, "TRACKED"));
        };
        reg->add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TrackedUse").required(Input::type_of("x", "TRACKED")).output("INT")};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, int64_t(ctx.get_object<Tracked>("x") ? 1 : 0)); };
        reg->add(std::move(d));
    }
    {
        // Output nodes: 1 while the last made object is alive; runs after `after`.
        NodeDefinition d{NodeSchema("TrackedAlive").required(Input::integer("after", 0)).output("INT").output_node()};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, int64_t(g_made.expired() ? 0 : 1)); };
        reg->add(std::move(d));
    }
    {
        // Reads a lazy object input (requested when the node first runs).
        Input x = Input::type_of("x", "TRACKED");
        x.lazy = true;
        NodeDefinition d{NodeSchema("TrackedLazyUse").required(std::move(x)).required(Input::integer("after", 0)).output("INT").output_node()};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, int64_t(ctx.has("x") ? 1 : 0)); };
        reg->add(std::move(d));
    }
    {
        // Expands into a TrackedUse of node `m` of the outer graph.
        NodeDefinition d{NodeSchema("TrackedExpandUse").required(Input::integer("after", 0)).output("INT").output_node()};
        d.execute = [](NodeContext& ctx) {
            Workflow g;
            g.add("use", "TrackedUse").link("x", "m", 0);
            ctx.expand(g, List{Value(Link{"use", 0})});
        };
        reg->add(std::move(d));
    }
    return reg;
}

/// m (TrackedMake) -> u (TrackedUse) -> p (TrackedAlive, the output).
Workflow make_use_probe() {
    Workflow wf;
    wf.add("m", "TrackedMake").set("seed", 1);
    wf.add("u", "TrackedUse").link("x", "m", 0);
    wf.add("p", "TrackedAlive").link("after", "u", 0);
    return wf;
}

RunResult run(const std::string& mode, const Workflow& wf, std::vector<std::string> capture) {
    g_made.reset();
    g_makes = 0;
    SessionOptions so;
    so.cache = CacheOptions::parse(mode);
    Session session(tracked_registry(), so);
    RunOptions o;
    o.capture = std::move(capture);
    RunResult r = session.run(wf, o);
    EXPECT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    return r;
}

TEST(FreeAtLastUse, ModeNoneDropsAResultOnceItsLastConsumerHasRun) {
    RunResult r = run("none", make_use_probe(), {"p"});
    EXPECT_EQ(r.output("p").as_int(), 0);  // m's object died when u finished, before p ran
    EXPECT_TRUE(g_made.expired());
}

TEST(FreeAtLastUse, CachingModesKeepResults) {
    for (const std::string mode : {"classic", "lru:10", "ram:1000000"}) {
        RunResult r = run(mode, make_use_probe(), {"p"});
        EXPECT_EQ(r.output("p").as_int(), 1) << mode;  // the cache holds m
    }
}

TEST(FreeAtLastUse, CapturedResultsAreKept) {
    RunResult r = run("none", make_use_probe(), {"p", "m"});
    EXPECT_EQ(r.output("p").as_int(), 1);
    EXPECT_TRUE(r.output("m").is_object());
    EXPECT_FALSE(g_made.expired());  // the result holds it
}

TEST(FreeAtLastUse, ALazyConsumerStillToRunKeepsTheResult) {
    Workflow wf = make_use_probe();
    wf.add("l", "TrackedLazyUse").link("x", "m", 0).link("after", "p", 0);  // asks for m after p ran
    RunResult r = run("none", wf, {"p", "l"});
    EXPECT_EQ(r.output("p").as_int(), 1);  // l had not run yet: m stays
    EXPECT_EQ(r.output("l").as_int(), 1);
    EXPECT_EQ(g_makes.load(), 1);
    EXPECT_TRUE(g_made.expired());  // and went once l had run
}

TEST(FreeAtLastUse, AnExpansionNeedingADroppedResultComputesItAgain) {
    Workflow wf = make_use_probe();
    wf.add("e", "TrackedExpandUse").link("after", "p", 0);
    RunResult r = run("none", wf, {"p", "e"});
    EXPECT_EQ(r.output("p").as_int(), 0);
    EXPECT_EQ(r.output("e").as_int(), 1);
    EXPECT_EQ(g_makes.load(), 2);  // m ran again for the expansion
}

TEST(FreeAtLastUse, AnExpansionNeedingAKeptResultReadsIt) {
    Workflow wf = make_use_probe();
    wf.add("e", "TrackedExpandUse").link("after", "p", 0);
    RunResult r = run("classic", wf, {"p", "e"});
    EXPECT_EQ(r.output("e").as_int(), 1);
    EXPECT_EQ(g_makes.load(), 1);
}

}  // namespace
