// What a node receives (checklist 23): undeclared linked inputs are passed on, undeclared constants
// are dropped; optional inputs left unset are absent; raw links receive the link itself.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

class Inputs : public CacheModeTest {};

TEST_P(Inputs, UndeclaredLinkedInputsReachTheNode) {
    // ComfyUI's test_undeclared_inputs: a 4-way average through undeclared input2..input4.
    Workflow wf;
    build::const_image(wf, "1", 0.2);
    build::const_image(wf, "2", 0.4);
    build::const_image(wf, "3", 0.6);
    build::const_image(wf, "4", 0.8);
    wf.add("5", "TestVariadicAverage").link("input1", "1").link("input2", "2").link("input3", "3").link("input4", "4");
    build::save_image(wf, "6", "5");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << (r.error ? r.error->exception_message : "");
    EXPECT_NEAR(mean(saved_images(r, "6").at(0)), 0.5, 1e-6);
    for (const char* id : {"1", "2", "3", "4"}) EXPECT_TRUE(run_log().ran(id)) << id;
}

TEST_P(Inputs, UndeclaredConstantsAreDropped) {
    Workflow wf;
    build::stub_int(wf, "1", 3);
    build::capture(wf, "2", "1").set("junk_constant", 5).link("extra_link", "1");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    List names = ui_list(r, "2", "names");
    std::set<std::string> got;
    for (const Value& v : names) got.insert(v.as_string());
    EXPECT_EQ(got, (std::set<std::string>{"value", "extra_link"}));
    EXPECT_EQ(ui_list(r, "2", "values").at(0).as_dict().at("extra_link").as_int(), 3);
}

TEST_P(Inputs, UnsetOptionalInputIsAbsent) {
    Workflow wf;
    wf.add("1", "TestCaptureInputs");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success);
    EXPECT_TRUE(ui_list(r, "1", "names").empty());
}

WEFT_INSTANTIATE_CACHE_MODES(Inputs);

}  // namespace
