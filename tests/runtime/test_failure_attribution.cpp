// The executor attributes a node's failure to that node once: a weft::Error escaping a node body
// without a node id is reported as raised at the failing node, exactly as if the body had called
// at_node(ctx.node_id()) itself, so node bodies need not.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

std::shared_ptr<NodeRegistry> throwing_registry() {
    auto reg = test_registry();
    {
        NodeDefinition d{NodeSchema("ThrowsPlain").required(Input::integer("value", 0)).output("INT")};
        d.execute = [](NodeContext&) { throw Error(ErrorCode::InvalidInput, "bad value").at_input("value"); };
        reg->add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("ThrowsAtNode").required(Input::integer("value", 0)).output("INT")};
        d.execute = [](NodeContext& ctx) { throw Error(ErrorCode::InvalidInput, "bad value").at_node(ctx.node_id()).at_input("value"); };
        reg->add(std::move(d));
    }
    {
        // Expands into a ThrowsPlain: the failing node is the ephemeral one.
        NodeDefinition d{NodeSchema("ExpandsToThrow").required(Input::integer("value", 0)).output("INT")};
        d.execute = [](NodeContext& ctx) {
            Workflow g;
            g.add("inner", "ThrowsPlain").set("value", 1);
            ctx.expand(g, List{Value(Link{"inner", 0})});
        };
        reg->add(std::move(d));
    }
    return reg;
}

ExecutionError failure_of(const std::string& class_type) {
    Session session(throwing_registry());
    Workflow wf;
    wf.add("7", class_type).set("value", 1);
    build::capture(wf, "8", "7");
    RunResult r = session.run(wf);
    EXPECT_EQ(r.status, RunStatus::Error);
    return r.error.value_or(ExecutionError{});
}

TEST(FailureAttribution, AnErrorWithoutANodeIsReportedAtTheFailingNode) {
    const ExecutionError e = failure_of("ThrowsPlain");
    EXPECT_EQ(e.node_id, "7");
    EXPECT_EQ(e.node_type, "ThrowsPlain");
    EXPECT_EQ(e.exception_type, "weft::Error(invalid_input)");
    EXPECT_EQ(e.exception_message, Error(ErrorCode::InvalidInput, "bad value").at_node("7").at_input("value").what());
}

TEST(FailureAttribution, NodeBodiesThatNameTheirNodeReportTheSame) {
    EXPECT_EQ(failure_of("ThrowsAtNode").exception_message, failure_of("ThrowsPlain").exception_message);
}

TEST(FailureAttribution, AnExpandedNodesFailureNamesItsExecutionId) {
    const ExecutionError e = failure_of("ExpandsToThrow");
    EXPECT_EQ(e.node_id, "7");  // display id: the expanding node
    EXPECT_EQ(e.node_type, "ThrowsPlain");
    EXPECT_NE(e.exception_message.find("[node 7.0.inner, input value]"), std::string::npos) << e.exception_message;
}

}  // namespace
