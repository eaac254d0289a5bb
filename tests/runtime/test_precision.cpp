// Network precision: SessionOptions::precision reaches every node call (loaders build their
// networks in it), and its names parse strictly.
#include "runtime_fixture.h"

#include <weft/error.h>

using namespace weft;

namespace {

std::string precision_seen(Precision p) {
    auto r = weft::testing::test_registry();
    NodeDefinition d{NodeSchema("TestPrecisionProbe").category("testing").output_node()};
    d.execute = [](NodeContext& ctx) { ctx.set_ui(Dict{{"precision", Value(List{Value(std::string(precision_name(ctx.precision())))})}}); };
    r->add(std::move(d));
    SessionOptions o;
    o.precision = p;
    Session s(r, o);
    Workflow wf;
    wf.add("1", "TestPrecisionProbe");
    const RunResult res = s.run(wf);
    EXPECT_EQ(res.status, RunStatus::Success);
    return res.ui.at("1").at("precision").as_list().at(0).as_string();
}

}  // namespace

TEST(Precision, SessionPrecisionReachesNodes) {
    EXPECT_EQ(SessionOptions{}.precision, Precision::F32);
    EXPECT_EQ(precision_seen(Precision::F32), "fp32");
    EXPECT_EQ(precision_seen(Precision::BF16), "bf16");
}

TEST(Precision, NamesParseStrictly) {
    EXPECT_EQ(parse_precision("fp32"), Precision::F32);
    EXPECT_EQ(parse_precision("f32"), Precision::F32);
    EXPECT_EQ(parse_precision("bf16"), Precision::BF16);
    EXPECT_EQ(parse_precision("bfloat16"), Precision::BF16);
    EXPECT_THROW(parse_precision("fp16"), Error);
    EXPECT_THROW(parse_precision(""), Error);
    EXPECT_STREQ(precision_name(Precision::BF16), "bf16");
}
