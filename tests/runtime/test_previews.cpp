// Preview events: a node publishes images through NodeContext::preview only when the run asked
// for previews (RunOptions::previews) and someone listens; each becomes an EventType::Preview with
// the node's ids and the image.
#include "runtime_fixture.h"

#include <weft/json.h>

#include <nlohmann/json.hpp>

using namespace weft;

namespace {

// "TestPreviewer": publishes `count` 2x3 previews filled with 10·i and reports in its UI whether
// previews were on; "TestBadPreviewer" publishes an F32 image.
std::shared_ptr<NodeRegistry> registry_with_previewers() {
    auto r = weft::testing::test_registry();
    NodeDefinition d{NodeSchema("TestPreviewer").category("testing").required(Input::integer("count", 2)).output_node()};
    d.execute = [](NodeContext& ctx) {
        const bool on = ctx.previews_enabled();
        for (int64_t i = 0; i < ctx.get_int("count"); ++i) {
            Tensor img = Tensor::zeros({2, 3, 3}, DType::U8);
            for (int64_t k = 0; k < img.numel(); ++k) img.data<uint8_t>()[k] = uint8_t(10 * i + k);
            ctx.preview(img);  // a no-op when previews are off
        }
        ctx.set_ui(Dict{{"on", Value(List{Value(on)})}});
    };
    r->add(std::move(d));
    NodeDefinition bad{NodeSchema("TestBadPreviewer").category("testing").output_node()};
    bad.execute = [](NodeContext& ctx) { ctx.preview(Tensor::zeros({2, 3, 3})); };
    r->add(std::move(bad));
    return r;
}

struct PreviewRun {
    RunResult result;
    std::vector<Event> previews;
};

PreviewRun run_with(const std::string& cls, bool previews, bool listen = true) {
    Session s(registry_with_previewers());
    Workflow wf;
    WorkflowNode& n = wf.add("7", cls);
    if (cls == "TestPreviewer") n.set("count", 2);
    RunOptions o;
    o.previews = previews;
    PreviewRun out;
    EventCallback cb = [&](const Event& e) {
        if (e.type == EventType::Preview) out.previews.push_back(e);
    };
    out.result = s.run(wf, o, listen ? cb : EventCallback{});
    return out;
}

bool ui_on(const RunResult& r) { return r.ui.at("7").at("on").as_list().at(0).as_bool(); }

}  // namespace

TEST(Previews, OffByDefault) {
    EXPECT_FALSE(RunOptions{}.previews);
    const PreviewRun r = run_with("TestPreviewer", false);
    ASSERT_TRUE(r.result.ok());
    EXPECT_TRUE(r.previews.empty());
    EXPECT_FALSE(ui_on(r.result));
}

TEST(Previews, PublishedAsEventsWhenAsked) {
    const PreviewRun r = run_with("TestPreviewer", true);
    ASSERT_TRUE(r.result.ok());
    EXPECT_TRUE(ui_on(r.result));
    ASSERT_EQ(r.previews.size(), 2u);
    for (size_t i = 0; i < r.previews.size(); ++i) {
        const Event& e = r.previews[i];
        EXPECT_STREQ(event_name(e.type), "preview");
        EXPECT_EQ(e.node_id, "7");
        EXPECT_EQ(e.display_node_id, "7");
        EXPECT_EQ(e.node_type, "TestPreviewer");
        EXPECT_EQ(e.prompt_id, r.result.prompt_id);
        ASSERT_EQ(e.image.shape(), (Shape{2, 3, 3}));
        EXPECT_EQ(e.image.data<uint8_t>()[0], uint8_t(10 * i));
        EXPECT_EQ(e.image.data<uint8_t>()[17], uint8_t(10 * i + 17));
    }
    // As JSON (for logs), a description without the pixels.
    const auto j = nlohmann::json::parse(event_to_json(r.previews[0]));
    EXPECT_EQ(j["type"], "preview");
    EXPECT_EQ(j["data"]["width"], 3);
    EXPECT_EQ(j["data"]["height"], 2);
}

TEST(Previews, NothingToComputeWithoutAListener) {
    const PreviewRun r = run_with("TestPreviewer", true, false);
    ASSERT_TRUE(r.result.ok());
    EXPECT_FALSE(ui_on(r.result));
}

TEST(Previews, AnImageOfTheWrongKindFailsTheNode) {
    const PreviewRun r = run_with("TestBadPreviewer", true);
    EXPECT_EQ(r.result.status, RunStatus::Error);
    ASSERT_TRUE(r.result.error.has_value());
    EXPECT_NE(r.result.error->exception_message.find("U8 [H, W, 3]"), std::string::npos) << r.result.error->exception_message;
    EXPECT_TRUE(r.previews.empty());
}
