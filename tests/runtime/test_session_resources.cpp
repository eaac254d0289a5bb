// Memory a Session keeps for its nodes (weft/session_resources.h): the op buffer pool and the
// file-hash memo belong to the Session, clear_cache() releases them, and two Sessions do not
// share them.
#include "core/resource_scope.h"
#include "nodes/file_hash.h"
#include "tensor/ops/buffer_pool.h"
#include "tensor/ops/ops.h"

#include <weft/weft.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace weft;

namespace {

struct Thing {
    int value = 0;
};

TEST(SessionResources, GetMakesOneObjectPerTypeUntilCleared) {
    SessionResources r;
    auto a = r.get<Thing>();
    a->value = 7;
    EXPECT_EQ(r.get<Thing>(), a);
    r.clear();
    auto b = r.get<Thing>();
    EXPECT_NE(b, a);
    EXPECT_EQ(b->value, 0);
    EXPECT_EQ(a->value, 7);  // a holder keeps the old one
}

TEST(SessionResources, ScopesNestAndFallBackToTheProcess) {
    SessionResources outer, inner;
    EXPECT_EQ(&current_resources(), &SessionResources::process());
    {
        ResourceScope s1(outer);
        EXPECT_EQ(&current_resources(), &outer);
        {
            ResourceScope s2(inner);
            EXPECT_EQ(&current_resources(), &inner);
        }
        EXPECT_EQ(&current_resources(), &outer);
    }
    EXPECT_EQ(&current_resources(), &SessionResources::process());
}

/// "PoolProbe": outputs the bytes its session's buffer pool holds, then makes (and drops) a 2 MiB
/// op output, which the pool keeps. "MemoProbe": hashes `path` through the session's memo and
/// outputs how many paths the memo remembers.
std::shared_ptr<NodeRegistry> probe_registry() {
    auto reg = std::make_shared<NodeRegistry>();
    {
        NodeDefinition d{NodeSchema("PoolProbe").required(Input::integer("seed", 0)).output("INT").output_node()};
        d.execute = [](NodeContext& ctx) {
            const auto held = static_cast<int64_t>(ops::cached_buffer_bytes());
            { Tensor t = ops::pad(Tensor::zeros({1, 8, 256, 256}), {0, 0}); }
            ctx.set_output(0, held);
        };
        reg->add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("MemoProbe").required(Input::string("path")).output("INT").output_node()};
        d.execute = [](NodeContext& ctx) {
            nodes::sha256_file_hex_remembered(ctx.get_string("path"));
            ctx.set_output(0, static_cast<int64_t>(current_resources().get<nodes::FileHashMemo>()->size()));
        };
        reg->add(std::move(d));
    }
    return reg;
}

/// Runs one probe node (mode none: it runs every time) and returns its output.
int64_t probe(Session& s, const std::string& class_type, const std::string& input, Value v) {
    Workflow wf;
    wf.add("p", class_type).set(input, std::move(v));
    RunOptions o;
    o.capture = {"p"};
    RunResult r = s.run(wf, o);
    EXPECT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    return r.output("p").as_int();
}

SessionOptions no_cache() {
    SessionOptions o;
    o.cache = CacheOptions::parse("none");
    return o;
}

TEST(SessionResources, ClearCacheReleasesTheSessionsPooledBuffers) {
    auto reg = probe_registry();
    Session a(reg, no_cache()), b(reg, no_cache());
    const int64_t process_held = static_cast<int64_t>(ops::cached_buffer_bytes());
    EXPECT_EQ(probe(a, "PoolProbe", "seed", Value(int64_t(1))), 0);
    EXPECT_GE(probe(a, "PoolProbe", "seed", Value(int64_t(2))), int64_t(2) << 20);  // the first run's buffer came back
    EXPECT_EQ(probe(b, "PoolProbe", "seed", Value(int64_t(1))), 0);                  // b has a pool of its own
    a.clear_cache();
    EXPECT_EQ(probe(a, "PoolProbe", "seed", Value(int64_t(3))), 0);
    EXPECT_EQ(static_cast<int64_t>(ops::cached_buffer_bytes()), process_held);  // the process pool saw none of it
}

TEST(SessionResources, ASecondSessionStartsWithAnEmptyFileHashMemo) {
    const auto dir = std::filesystem::temp_directory_path() / ("weft_memo_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string f1 = (dir / "a.bin").string(), f2 = (dir / "b.bin").string();
    std::ofstream(f1) << "one";
    std::ofstream(f2) << "two";
    auto reg = probe_registry();
    Session a(reg, no_cache());
    EXPECT_EQ(probe(a, "MemoProbe", "path", Value(f1)), 1);
    EXPECT_EQ(probe(a, "MemoProbe", "path", Value(f2)), 2);
    Session b(reg, no_cache());
    EXPECT_EQ(probe(b, "MemoProbe", "path", Value(f1)), 1);
    a.clear_cache();
    EXPECT_EQ(probe(a, "MemoProbe", "path", Value(f2)), 1);
    std::filesystem::remove_all(dir);
}

}  // namespace
