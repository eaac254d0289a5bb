// graph::compute_cache_keys / hash_value: content-addressed, node-id independent keys (checklist 26-27).
#include "graph/cache_key.h"

#include "graph_fixture.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace weft;
using graph::CacheKey;
using graph::Fingerprint;

namespace {

struct K : ::testing::Test {
    std::shared_ptr<NodeRegistry> reg = graph_test::make_registry();
    std::map<std::string, Fingerprint> fingerprints;

    std::unordered_map<std::string, CacheKey> keys(const Workflow& wf, std::vector<std::string> roots = {}) {
        if (roots.empty())
            for (const WorkflowNode& n : wf.nodes()) roots.push_back(n.id);
        std::unordered_map<std::string, CacheKey> out;
        auto fp = [this](const std::string& id) -> const Fingerprint* {
            auto it = fingerprints.find(id);
            return it == fingerprints.end() ? nullptr : &it->second;
        };
        graph::compute_cache_keys(wf, *reg, fp, roots, out);
        return out;
    }
};

CacheKey h(const Value& v) { return graph::hash_value(v); }

// image(1) -> invert(2) -> save(3), plus a separate const(4).
Workflow sample(const std::string& a = "1", const std::string& b = "2", const std::string& c = "3") {
    Workflow wf;
    wf.add(a, "Image").set("width", 8);
    wf.add(b, "Invert").link("image", a);
    wf.add(c, "Save").link("images", b).set("prefix", "p");
    return wf;
}

}  // namespace

TEST(HashValue, PythonEquality) {
    EXPECT_EQ(h(1), h(1.0));
    EXPECT_EQ(h(1), h(true));
    EXPECT_EQ(h(0), h(false));
    EXPECT_EQ(h(0), h(-0.0));
    EXPECT_NE(h(1), h(2));
    EXPECT_NE(h(1), h(1.5));
    EXPECT_NE(h(1), h("1"));
    EXPECT_EQ(h(Value(uint64_t{18446744073709551615ull})), h(Value(uint64_t{18446744073709551615ull})));
    EXPECT_NE(h(Value(uint64_t{18446744073709551615ull})), h(-1));
    EXPECT_EQ(h(Value(uint64_t{1} << 63)), h(9223372036854775808.0));
    EXPECT_EQ(h("abc"), h("abc"));
    EXPECT_NE(h("abc"), h("abd"));
    EXPECT_NE(h(""), h(Value()));
    EXPECT_EQ(h(List{1, "a"}), h(List{1.0, "a"}));
    EXPECT_NE(h(List{1, 2}), h(List{2, 1}));
    EXPECT_NE(h(List{List{1}, 2}), h(List{1, List{2}}));
    EXPECT_EQ(h(Dict{{"a", 1}, {"b", 2}}), h(Dict{{"b", 2}, {"a", 1}}));
    EXPECT_NE(h(Dict{{"a", 1}}), h(List{"a", 1}));
    // NaN never equals NaN, opaque objects never match.
    EXPECT_NE(h(std::nan("")), h(std::nan("")));
    auto obj = Value::object(std::make_shared<const int>(1), "X");
    EXPECT_NE(h(obj), h(obj));
}

TEST(HashValue, TensorsByContent) {
    float a[] = {1, 2, 3, 4};
    float b[] = {1, 2, 3, 5};
    Tensor t1 = Tensor::from_vector({2, 2}, a);
    Tensor t2 = Tensor::from_vector({2, 2}, a);
    EXPECT_EQ(h(t1), h(t2));
    EXPECT_NE(h(t1), h(Tensor::from_vector({2, 2}, b)));
    EXPECT_NE(h(t1), h(Tensor::from_vector({4}, a)));  // shape matters
    EXPECT_EQ(h(t1.permute({1, 0})), h(Tensor::from_vector({2, 2}, std::vector<float>{1, 3, 2, 4})));  // views by content
    Latent l1{t1, {}, {}}, l2{t2, {}, {}};
    EXPECT_EQ(h(l1), h(l2));
}

TEST(HashValue, UniqueKeysAreFresh) { EXPECT_NE(graph::unique_key(), graph::unique_key()); }

TEST_F(K, IndependentOfNodeIds) {
    auto k1 = keys(sample("1", "2", "3"));
    auto k2 = keys(sample("a", "b", "c"));
    EXPECT_EQ(k1.at("1"), k2.at("a"));
    EXPECT_EQ(k1.at("2"), k2.at("b"));
    EXPECT_EQ(k1.at("3"), k2.at("c"));
    EXPECT_NE(k1.at("1"), k1.at("2"));
}

TEST_F(K, IdenticalNodesShareAKey) {
    Workflow wf = sample();
    wf.add("4", "Image").set("width", 8);
    wf.add("5", "Invert").link("image", "4");
    auto k = keys(wf);
    EXPECT_EQ(k.at("1"), k.at("4"));
    EXPECT_EQ(k.at("2"), k.at("5"));
}

TEST_F(K, InputOrderDoesNotMatter) {
    Workflow a;
    a.add("1", "Sum").set("a", 1).set("b", 2);
    Workflow b;
    b.add("1", "Sum").set("b", 2).set("a", 1);
    EXPECT_EQ(keys(a).at("1"), keys(b).at("1"));
    Workflow c;
    c.add("1", "Sum").set("a", 2).set("b", 1);  // swapped values: different
    EXPECT_NE(keys(a).at("1"), keys(c).at("1"));
    Workflow d;
    d.add("1", "Sum").set("a", 1.0).set("b", true);  // 1.0 == 1, True == 1 ... b=True differs from 2
    Workflow e;
    e.add("1", "Sum").set("a", 1.0).set("b", 2.0);
    EXPECT_EQ(keys(a).at("1"), keys(e).at("1"));
    EXPECT_NE(keys(a).at("1"), keys(d).at("1"));
}

TEST_F(K, ConstantChangeChangesTheNodeAndDescendantsOnly) {
    Workflow wf = sample();
    wf.add("9", "Const").set("value", 3);  // unrelated
    auto before = keys(wf);
    wf.set_input("2", "extra", 1);  // a constant on the middle node (undeclared still counts)
    auto after = keys(wf);
    EXPECT_EQ(before.at("1"), after.at("1"));
    EXPECT_NE(before.at("2"), after.at("2"));
    EXPECT_NE(before.at("3"), after.at("3"));
    EXPECT_EQ(before.at("9"), after.at("9"));

    wf.set_input("1", "width", 16);
    auto again = keys(wf);
    EXPECT_NE(after.at("1"), again.at("1"));
    EXPECT_NE(after.at("2"), again.at("2"));
    EXPECT_NE(after.at("3"), again.at("3"));
}

TEST_F(K, LinkSlotMatters) {
    Workflow a;
    a.add("1", "Image").set("width", 8);
    a.add("2", "Show").link("value", "1", 0);
    Workflow b;
    b.add("1", "Image").set("width", 8);
    b.add("2", "Show").link("value", "1", 1);
    EXPECT_NE(keys(a).at("2"), keys(b).at("2"));
}

TEST_F(K, NotIdempotentAndUniqueIdMixInTheNodeId) {
    Workflow wf;
    wf.add("1", "Random").set("value", 1);
    wf.add("2", "Random").set("value", 1);
    wf.add("3", "Unique").set("value", 1);
    wf.add("4", "Unique").set("value", 1);
    wf.add("5", "Sum").set("a", 1);
    wf.add("6", "Sum").set("a", 1);
    auto k = keys(wf);
    EXPECT_NE(k.at("1"), k.at("2"));
    EXPECT_NE(k.at("3"), k.at("4"));
    EXPECT_EQ(k.at("5"), k.at("6"));
    // Stable across computations for the same id.
    EXPECT_EQ(keys(wf).at("1"), k.at("1"));
}

TEST_F(K, LinkToMissingNodeNeverMatches) {
    Workflow wf;
    wf.add("1", "Invert").link("image", "404");
    wf.add("2", "Save").link("images", "1").set("prefix", "p");
    auto a = keys(wf);
    auto b = keys(wf);
    EXPECT_NE(a.at("1"), b.at("1"));
    EXPECT_NE(a.at("2"), b.at("2"));
    EXPECT_FALSE(a.count("404"));
}

TEST_F(K, UnknownClassNeverMatches) {
    Workflow wf;
    wf.add("1", "Nope").set("x", 1);
    EXPECT_NE(keys(wf).at("1"), keys(wf).at("1"));
}

TEST_F(K, Fingerprints) {
    Workflow wf = sample();
    auto plain = keys(wf);
    fingerprints["1"] = Fingerprint{Value("sha-1"), false};
    auto with_fp = keys(wf);
    EXPECT_NE(plain.at("1"), with_fp.at("1"));
    EXPECT_EQ(with_fp.at("1"), keys(wf).at("1"));  // same fingerprint: same key
    EXPECT_NE(plain.at("3"), with_fp.at("3"));     // descendants follow

    fingerprints["1"] = Fingerprint{Value("sha-2"), false};
    auto changed = keys(wf);
    EXPECT_NE(changed.at("1"), with_fp.at("1"));
    EXPECT_NE(changed.at("2"), with_fp.at("2"));

    fingerprints["1"] = Fingerprint{std::nullopt, true};  // always changed
    auto a = keys(wf), b = keys(wf);
    EXPECT_NE(a.at("1"), b.at("1"));
    EXPECT_NE(a.at("3"), b.at("3"));

    fingerprints["1"] = Fingerprint{Value(std::nan("")), false};  // NaN: never equal
    EXPECT_NE(keys(wf).at("1"), keys(wf).at("1"));
}

TEST_F(K, OnlyRootsAndAncestorsAndExistingKeysReused) {
    Workflow wf = sample();
    wf.add("9", "Const").set("value", 3);
    std::unordered_map<std::string, CacheKey> k;
    std::vector<std::string> roots{"2"};
    graph::compute_cache_keys(wf, *reg, nullptr, roots, k);
    EXPECT_EQ(k.size(), 2u);
    EXPECT_TRUE(k.count("1") && k.count("2"));
    // A pre-set key is reused, not recomputed.
    std::unordered_map<std::string, CacheKey> pre{{"1", CacheKey{1, 2}}};
    std::vector<std::string> r3{"3"};
    graph::compute_cache_keys(wf, *reg, nullptr, r3, pre);
    EXPECT_EQ(pre.at("1"), (CacheKey{1, 2}));
    EXPECT_NE(pre.at("2"), k.at("2"));
}

TEST_F(K, CyclesTerminate) {
    Workflow wf;
    wf.add("1", "Invert").link("image", "2");
    wf.add("2", "Invert").link("image", "1");
    wf.add("3", "Save").link("images", "2").set("prefix", "p");
    auto k = keys(wf, {"3"});
    EXPECT_EQ(k.size(), 3u);
    EXPECT_NE(k.at("1"), keys(wf, {"3"}).at("1"));  // a cycle never produces a reusable key
}

TEST_F(K, LongChain) {
    constexpr int N = 3000;
    Workflow wf;
    wf.add("0", "Image").set("width", 8);
    for (int i = 1; i <= N; ++i) wf.add(std::to_string(i), "Invert").link("image", std::to_string(i - 1));
    auto a = keys(wf, {std::to_string(N)});
    EXPECT_EQ(a.size(), static_cast<size_t>(N + 1));
    // The same chain under other ids has the same keys.
    auto xid = [](int i) { return std::string("x").append(std::to_string(i)); };
    Workflow other;
    other.add(xid(0), "Image").set("width", 8);
    for (int i = 1; i <= N; ++i) other.add(xid(i), "Invert").link("image", xid(i - 1));
    auto b = keys(other, {xid(N)});
    EXPECT_EQ(a.at(std::to_string(N)), b.at(xid(N)));
    other.set_input(xid(0), "width", 9);
    EXPECT_NE(keys(other, {xid(N)}).at(xid(N)), b.at(xid(N)));
}
