// The public headers' usage examples, compiled (build/tests/header_examples.cpp, generated from
// include/weft/*.h by header_examples.sh) and some of them run.
#include "header_example_context.h"

#include <gtest/gtest.h>

namespace weft::header_examples {

NodeDefinition my_node_definition() {
    NodeDefinition def{NodeSchema("MyNode").output("INT").output_node()};
    def.execute = [](NodeContext& ctx) { ctx.set_output(0, Value(int64_t(1))); };
    return def;
}

}  // namespace weft::header_examples

namespace {

TEST(HeaderExamples, TheApplicationNodeOfTheRegistryExampleRuns) {
    auto registry = weft::builtin_registry();
    auto mine = std::make_shared<weft::NodeRegistry>(*registry);
    mine->add(weft::header_examples::my_node_definition());
    weft::Session session(mine);
    weft::Workflow wf;
    wf.add("1", "MyNode");
    weft::RunOptions o;
    o.capture = {"1"};
    const weft::RunResult r = session.run(wf, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.output("1").as_int(), 1);
}

}  // namespace
