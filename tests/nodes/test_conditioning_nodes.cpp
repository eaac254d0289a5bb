// The conditioning shaping nodes: the extras they set (read by the sampler's conditioning
// evaluation) and the embeddings ConditioningAverage / ConditioningConcat compute.
#include "node_test_util.h"
#include "single_node_runner.h"

#include <weft/weft.h>

using namespace weft;
using weft::testing::make_tensor;
using weft::testing::max_abs_diff;
using weft::testing::SingleNodeRunner;

namespace {

Conditioning cond(const Tensor& emb, Dict extras = {}) { return {ConditioningItem{emb, std::make_shared<const Dict>(std::move(extras))}}; }

const Dict& extras_of(const weft::testing::NodeRun& r, size_t i = 0) { return *r.out().as_conditioning().at(i).extras; }

TEST(ConditioningNodes, SetAreaInLatentCells) {
    SingleNodeRunner runner;
    const Tensor pooled = Tensor::full({1, 8}, 0.5f);
    auto r = runner.run("ConditioningSetArea", {{"conditioning", Value(cond(Tensor::zeros({1, 3, 8}), {{"pooled_output", Value(pooled)}}))},
                                                {"width", 192}, {"height", 64}, {"x", 24}, {"y", 8}, {"strength", 1.5}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Dict& e = extras_of(r);
    EXPECT_EQ(e.at("area"), Value(List{int64_t{8}, int64_t{24}, int64_t{1}, int64_t{3}}));  // [h, w, y, x] / 8
    EXPECT_DOUBLE_EQ(e.at("strength").as_float(), 1.5);
    EXPECT_FALSE(e.at("set_area_to_bounds").as_bool());
    EXPECT_TRUE(e.contains("pooled_output"));  // other extras stay
}

TEST(ConditioningNodes, SetAreaPercentageStrengthAndRange) {
    SingleNodeRunner runner;
    const Value c(cond(Tensor::zeros({1, 3, 8})));
    auto p = runner.run("ConditioningSetAreaPercentage", {{"conditioning", c}, {"width", 0.5}, {"height", 0.25}, {"x", 0.1}, {"y", 0.2}, {"strength", 2.0}});
    ASSERT_TRUE(p.ok()) << p.error_text();
    EXPECT_EQ(extras_of(p).at("area"), Value(List{Value("percentage"), 0.25, 0.5, 0.2, 0.1}));
    auto s = runner.run("ConditioningSetAreaStrength", {{"conditioning", c}, {"strength", 0.3}});
    ASSERT_TRUE(s.ok()) << s.error_text();
    EXPECT_DOUBLE_EQ(extras_of(s).at("strength").as_float(), 0.3);
    auto t = runner.run("ConditioningSetTimestepRange", {{"conditioning", c}, {"start", 0.2}, {"end", 0.7}});
    ASSERT_TRUE(t.ok()) << t.error_text();
    EXPECT_DOUBLE_EQ(extras_of(t).at("start_percent").as_float(), 0.2);
    EXPECT_DOUBLE_EQ(extras_of(t).at("end_percent").as_float(), 0.7);
}

TEST(ConditioningNodes, SetMaskKeepsTheMaskAndItsOptions) {
    SingleNodeRunner runner;
    const Tensor mask = make_tensor({4, 6}, [](int64_t i) { return i % 2; });
    auto r = runner.run("ConditioningSetMask", {{"conditioning", Value(cond(Tensor::zeros({1, 3, 8})))}, {"mask", Value(mask)}, {"strength", 0.8},
                                                {"set_cond_area", "mask bounds"}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Dict& e = extras_of(r);
    EXPECT_EQ(e.at("mask").as_tensor().shape(), (Shape{1, 4, 6}));  // a 2-D mask gets a batch
    EXPECT_DOUBLE_EQ(e.at("mask_strength").as_float(), 0.8);
    EXPECT_TRUE(e.at("set_area_to_bounds").as_bool());
}

TEST(ConditioningNodes, AverageBlendsAndPadsTheFromTokens) {
    SingleNodeRunner runner;
    const Tensor to = make_tensor({1, 4, 2}, [](int64_t i) { return float(i); });
    const Tensor from = make_tensor({1, 2, 2}, [](int64_t i) { return 10.0f + float(i); });
    const Tensor pooled_to = Tensor::full({1, 3}, 1.0f), pooled_from = Tensor::full({1, 3}, 3.0f);
    auto r = runner.run("ConditioningAverage", {{"conditioning_to", Value(cond(to, {{"pooled_output", Value(pooled_to)}}))},
                                                {"conditioning_from", Value(cond(from, {{"pooled_output", Value(pooled_from)}}))},
                                                {"conditioning_to_strength", 0.25}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const ConditioningItem& out = r.out().as_conditioning().at(0);
    ASSERT_EQ(out.embedding.shape(), (Shape{1, 4, 2}));
    for (int64_t i = 0; i < 8; ++i) {
        const float f = i < 4 ? 10.0f + float(i) : 0.0f;  // the from tokens, zero-padded to 4
        EXPECT_NEAR(out.embedding.contiguous().data<float>()[i], 0.25f * float(i) + 0.75f * f, 1e-6) << i;
    }
    EXPECT_NEAR(out.extras->at("pooled_output").as_tensor().data<float>()[0], 0.25f * 1.0f + 0.75f * 3.0f, 1e-6);
}

TEST(ConditioningNodes, ConcatJoinsTokens) {
    SingleNodeRunner runner;
    const Tensor to = make_tensor({1, 3, 2}, [](int64_t i) { return float(i); });
    const Tensor from = make_tensor({1, 2, 2}, [](int64_t i) { return 100.0f + float(i); });
    auto r = runner.run("ConditioningConcat", {{"conditioning_to", Value(cond(to, {{"strength", 0.5}}))}, {"conditioning_from", Value(cond(from))}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const ConditioningItem& out = r.out().as_conditioning().at(0);
    ASSERT_EQ(out.embedding.shape(), (Shape{1, 5, 2}));
    EXPECT_EQ(out.embedding.contiguous().data<float>()[5], 5.0f);
    EXPECT_EQ(out.embedding.contiguous().data<float>()[6], 100.0f);
    EXPECT_DOUBLE_EQ(out.extras->at("strength").as_float(), 0.5);
    // An empty conditioning_from is refused with the input named.
    auto bad = runner.run("ConditioningConcat", {{"conditioning_to", Value(cond(to))}, {"conditioning_from", Value(Conditioning{})}});
    EXPECT_FALSE(bad.ok());
}

}  // namespace
