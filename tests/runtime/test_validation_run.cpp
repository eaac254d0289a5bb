// Validation as seen through Session::validate and Session::run (checklist 3-15): what is rejected,
// with which error type, and that valid outputs still run when others are invalid.
#include "runtime_fixture.h"

using namespace weft;
using namespace weft::testing;

namespace {

// Error types of node `id` in a report.
std::vector<std::string> error_types(const ValidationReport& rep, const std::string& id) {
    std::vector<std::string> t;
    auto it = rep.node_errors.find(id);
    if (it == rep.node_errors.end()) return t;
    for (const ErrorInfo& e : it->second.errors) t.push_back(e.type);
    return t;
}

// True when node `id` has errors and every one is of type `type` (ComfyUI reports a failed custom
// validation once per input the function received).
bool all_of_type(const ValidationReport& rep, const std::string& id, const std::string& type) {
    std::vector<std::string> t = error_types(rep, id);
    return !t.empty() && std::all_of(t.begin(), t.end(), [&](const std::string& x) { return x == type; });
}

std::string report_text(const ValidationReport& rep) {
    std::string s = rep.error ? rep.error->type + ": " + rep.error->message + " | " : "ok | ";
    for (const auto& [id, ne] : rep.node_errors)
        for (const ErrorInfo& e : ne.errors) s += id + ":" + e.type + " (" + e.details + ") ";
    return s;
}

// Runs a workflow that must be rejected as a whole; checks nothing ran and returns the report.
ValidationReport expect_invalid(Harness& h, const Workflow& wf) {
    run_log().reset();
    ValidationReport v = h.validate(wf);
    EXPECT_FALSE(v.ok()) << "validate() accepted it";
    RunResult r = h.run(wf);
    EXPECT_EQ(r.status, RunStatus::Invalid) << run_status_name(r.status) << " " << report_text(r.validation);
    EXPECT_FALSE(r.validation.ok());
    EXPECT_EQ(run_log().total(), 0u) << "nothing may run: " << describe_calls();
    EXPECT_EQ(h.events.count(EventType::Executing), 0u);
    return r.validation;
}

TEST(ValidationRun, UnknownClassRejectsTheWholeWorkflow) {
    Harness h;
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::save_image(wf, "2", "1");
    wf.add("3", "NoSuchNodeClass").link("x", "1");
    ValidationReport rep = expect_invalid(h, wf);
    ASSERT_TRUE(rep.error.has_value());
    EXPECT_TRUE(rep.error->type == "invalid_prompt" || rep.error->type == "missing_node_type") << rep.error->type;
    EXPECT_NE((rep.error->message + rep.error->details).find("3"), std::string::npos) << "names the node";
}

TEST(ValidationRun, NodeWithoutClassTypeIsRejected) {
    Harness h;
    const char* text = R"({"1": {"inputs": {}}, "2": {"class_type": "TestNoInputs", "inputs": {}}})";
    try {
        Workflow wf = Workflow::parse(text);
        ValidationReport rep = expect_invalid(h, wf);
        ASSERT_TRUE(rep.error.has_value());
        EXPECT_EQ(rep.error->type, "invalid_prompt");
    } catch (const Error& e) {
        EXPECT_EQ(e.type(), "invalid_prompt");
    }
}

TEST(ValidationRun, NoOutputNodes) {
    Harness h;
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    ValidationReport rep = expect_invalid(h, wf);
    ASSERT_TRUE(rep.error.has_value());
    EXPECT_EQ(rep.error->type, "prompt_no_outputs");
}

TEST(ValidationRun, TargetsWithoutOutputNodesHaveNoOutputs) {
    Harness h;
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::save_image(wf, "2", "1");
    RunOptions o;
    o.targets = std::vector<std::string>{"1"};  // not an output node: ignored, leaving none
    RunResult r = h.run(wf, o);
    EXPECT_EQ(r.status, RunStatus::Invalid);
    ASSERT_TRUE(r.validation.error.has_value());
    EXPECT_EQ(r.validation.error->type, "prompt_no_outputs");
    EXPECT_EQ(run_log().total(), 0u);
}

TEST(ValidationRun, LinksAndWrappedListConstantsFromJson) {
    Harness h;
    Workflow wf = Workflow::parse(R"({
        "2": {"class_type": "StubInt", "inputs": {"value": 7}},
        "1": {"class_type": "TestCaptureInputs", "inputs": {"value": ["2", 0]}},
        "3": {"class_type": "TestCaptureInputs", "inputs": {"value": {"__value__": [1, 2, 3]}}}
    })");
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
    List v1 = ui_list(r, "1", "values");
    ASSERT_EQ(v1.size(), 1u);
    EXPECT_EQ(v1[0].as_dict().at("value").as_int(), 7);
    List v3 = ui_list(r, "3", "values");
    ASSERT_EQ(v3.size(), 1u) << "a list constant is one value, not a list to map over";
    const Value& lst = v3[0].as_dict().at("value");
    ASSERT_TRUE(lst.is_list()) << lst.describe();
    ASSERT_EQ(lst.as_list().size(), 3u);
    EXPECT_EQ(lst.as_list()[2].as_int(), 3);
}

TEST(ValidationRun, MissingRequiredInputListsDependentOutputs) {
    Harness h;
    Workflow wf;
    wf.add("1", "TestVariadicAverage");  // input1 missing
    build::save_image(wf, "2", "1");
    ValidationReport rep = expect_invalid(h, wf);
    EXPECT_EQ(error_types(rep, "1"), std::vector<std::string>{"required_input_missing"}) << report_text(rep);
    ASSERT_TRUE(rep.node_errors.count("1"));
    EXPECT_EQ(rep.node_errors.at("1").class_type, "TestVariadicAverage");
    EXPECT_TRUE(contains(rep.node_errors.at("1").dependent_outputs, "2"));
    ASSERT_TRUE(rep.error.has_value());
    EXPECT_EQ(rep.error->type, "prompt_outputs_failed_validation");
    EXPECT_FALSE(rep.node_errors.count("2")) << "nodes invalid only because of an ancestor are not listed";
}

TEST(ValidationRun, ConstantsAreCoerced) {
    Harness h;
    Workflow wf;
    wf.add("1", "TestTypedInputs").set("i", "7").set("f", 3).set("s", 5).set("b", true);
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
    List vals = ui_list(r, "1", "values");
    ASSERT_EQ(vals.size(), 1u);
    const Dict& d = vals[0].as_dict();
    ASSERT_TRUE(d.at("i").is_int()) << d.at("i").describe();
    EXPECT_EQ(d.at("i").as_int(), 7);
    ASSERT_TRUE(d.at("f").is_float()) << d.at("f").describe();
    EXPECT_DOUBLE_EQ(d.at("f").as_float(), 3.0);
    ASSERT_TRUE(d.at("s").is_string()) << d.at("s").describe();
    EXPECT_EQ(d.at("s").as_string(), "5");
    EXPECT_TRUE(d.at("b").as_bool());
}

TEST(ValidationRun, IntFromFloatTruncatesLikePython) {
    Harness h;
    Workflow wf;
    wf.add("1", "TestTypedInputs").set("i", 5.9).set("f", 0.5).set("s", "x").set("b", false);
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
    EXPECT_EQ(ui_list(r, "1", "values").at(0).as_dict().at("i").as_int(), 5);
}

TEST(ValidationRun, UnconvertibleConstantIsInvalidInputType) {
    Harness h;
    Workflow wf;
    wf.add("1", "TestTypedInputs").set("i", "abc").set("f", 0.5).set("s", "x").set("b", false);
    ValidationReport rep = expect_invalid(h, wf);
    EXPECT_EQ(error_types(rep, "1"), std::vector<std::string>{"invalid_input_type"}) << report_text(rep);
}

Workflow range_node(int64_t n, double x, const char* mode = "alpha", const char* big = "opt_3") {
    Workflow wf;
    wf.add("1", "TestRange").set("n", n).set("x", x).set("mode", mode).set("big", big);
    return wf;
}

TEST(ValidationRun, MinMaxAreCheckedStepIsNot) {
    Harness h;
    EXPECT_EQ(error_types(expect_invalid(h, range_node(11, 0.5)), "1"), std::vector<std::string>{"value_bigger_than_max"});
    EXPECT_EQ(error_types(expect_invalid(h, range_node(-1, 0.5)), "1"), std::vector<std::string>{"value_smaller_than_min"});
    EXPECT_EQ(error_types(expect_invalid(h, range_node(5, 1.5)), "1"), std::vector<std::string>{"value_bigger_than_max"});
    RunResult r = h.run(range_node(10, 0.3));  // 0.3 is off the 0.5 step: accepted
    EXPECT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
}

TEST(ValidationRun, ComboValueNotInList) {
    Harness h;
    ValidationReport small = expect_invalid(h, range_node(5, 0.5, "delta"));
    ASSERT_EQ(error_types(small, "1"), std::vector<std::string>{"value_not_in_list"});
    EXPECT_NE(small.node_errors.at("1").errors[0].details.find("gamma"), std::string::npos)
        << "a short option list is shown: " << small.node_errors.at("1").errors[0].details;
    ValidationReport big = expect_invalid(h, range_node(5, 0.5, "alpha", "nope"));
    ASSERT_EQ(error_types(big, "1"), std::vector<std::string>{"value_not_in_list"});
    EXPECT_EQ(big.node_errors.at("1").errors[0].details.find("opt_24"), std::string::npos)
        << "lists over 20 entries are omitted: " << big.node_errors.at("1").errors[0].details;
}

TEST(ValidationRun, LinkTypeChecks) {
    Harness h;
    {
        Workflow wf;  // INT into IMAGE
        build::stub_int(wf, "1", 3);
        build::save_image(wf, "2", "1");
        EXPECT_EQ(error_types(expect_invalid(h, wf), "2"), std::vector<std::string>{"return_type_mismatch"});
    }
    {
        Workflow wf;  // MASK into "IMAGE,FLOAT": no overlap
        build::stub_mask(wf, "1", 0.5);
        wf.add("2", "TestCustomValidation1").link("input1", "1");
        build::save_image(wf, "3", "2");
        EXPECT_EQ(error_types(expect_invalid(h, wf), "2"), std::vector<std::string>{"return_type_mismatch"});
    }
    {
        Workflow wf;  // FLOAT into "IMAGE,FLOAT" overlaps; "*" output into IMAGE; IMAGE into "*"
        build::stub_float(wf, "1", 0.5);
        wf.add("2", "TestCustomValidation1").link("input1", "1");
        build::save_image(wf, "3", "2");
        build::stub_image(wf, "4", "WHITE");
        wf.add("5", "TestMakeListNode").link("value1", "4");
        build::save_image(wf, "6", "5");
        build::capture(wf, "7", "4");
        RunResult r = h.run(wf);
        ASSERT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
        EXPECT_NEAR(mean(saved_images(r, "3").at(0)), 0.5, 1e-6);
        EXPECT_EQ(saved_images(r, "6").size(), 1u);
    }
}

TEST(ValidationRun, CustomValidationOfLiterals) {
    // ComfyUI's test_validation_error_literal: INT 5 and "foo" rejected, 5.0 accepted.
    Harness h;
    for (Value bad : {Value(5), Value("foo")}) {
        SCOPED_TRACE(bad.describe());
        Workflow wf;
        wf.add("1", "TestCustomValidation1").set("input1", bad).set("input2", 0.5);
        build::save_image(wf, "2", "1");
        ValidationReport rep = expect_invalid(h, wf);
        ASSERT_TRUE(all_of_type(rep, "1", "custom_validation_failed")) << report_text(rep);
        EXPECT_NE(rep.node_errors.at("1").errors[0].details.find("Invalid type of input1"), std::string::npos)
            << rep.node_errors.at("1").errors[0].details;
        // One error per input the function received (input1 and input2).
        EXPECT_EQ(rep.node_errors.at("1").errors.size(), 2u) << report_text(rep);
    }
    Workflow ok;
    ok.add("1", "TestCustomValidation1").set("input1", 0.25).set("input2", 0.75);
    build::save_image(ok, "2", "1");
    RunResult r = h.run(ok);
    ASSERT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
    EXPECT_NEAR(mean(saved_images(r, "2").at(0)), 0.5, 1e-6);
}

TEST(ValidationRun, InputTypesReplaceTheLinkTypeCheck) {
    Harness h;
    {
        Workflow wf;  // MASK would fail the built-in check; the node's own check accepts it
        build::stub_mask(wf, "1", 0.5);
        wf.add("2", "TestCustomValidation2").link("input1", "1");
        build::capture(wf, "3", "2");
        ValidationReport v = h.validate(wf);
        EXPECT_TRUE(v.ok()) << report_text(v);
        EXPECT_TRUE(v.node_errors.empty()) << report_text(v);
    }
    {
        Workflow wf;  // INT is rejected by the node's check, not by the built-in one
        build::stub_int(wf, "1", 1);
        wf.add("2", "TestCustomValidation2").link("input1", "1");
        build::capture(wf, "3", "2");
        ValidationReport rep = expect_invalid(h, wf);
        EXPECT_TRUE(all_of_type(rep, "2", "custom_validation_failed")) << report_text(rep);
    }
}

TEST(ValidationRun, WithoutInputTypesTheTypeCheckStaysAndLinksAreAbsent) {
    Harness h;
    {
        Workflow wf;
        build::stub_int(wf, "1", 1);
        wf.add("2", "TestCustomValidation4").link("input1", "1");
        build::save_image(wf, "3", "2");
        EXPECT_EQ(error_types(expect_invalid(h, wf), "2"), std::vector<std::string>{"return_type_mismatch"});
    }
    {
        Workflow wf;  // the node fails validation if the linked image reaches its constants
        build::stub_image(wf, "1", "WHITE");
        wf.add("2", "TestCustomValidation4").link("input1", "1");
        build::save_image(wf, "3", "2");
        RunResult r = h.run(wf);
        ASSERT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
        EXPECT_DOUBLE_EQ(mean(saved_images(r, "3").at(0)), 1.0);
    }
}

TEST(ValidationRun, HandledInputsSkipBuiltInRangeChecks) {
    Harness h;
    auto node3 = [](double a, double b) {
        Workflow wf;
        wf.add("1", "TestCustomValidation3").set("input1", a).set("input2", b);
        build::capture(wf, "2", "1");
        return wf;
    };
    RunResult r = h.run(node3(5.0, 0.5));  // input1 > max, but the node handles input1
    EXPECT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
    EXPECT_EQ(error_types(expect_invalid(h, node3(11.0, 0.5)), "1"), std::vector<std::string>{"custom_validation_failed"})
        << "one error: the function received input1 only";
    EXPECT_EQ(error_types(expect_invalid(h, node3(0.5, 5.0)), "1"), std::vector<std::string>{"value_bigger_than_max"});
}

TEST(ValidationRun, HandlesAllSkipsEveryBuiltInCheck) {
    // ComfyUI's test_validation_error_kwargs.
    Harness h;
    auto node5 = [](double a, const char* combo) {
        Workflow wf;
        wf.add("1", "TestCustomValidation5").set("input1", a).set("input2", combo);
        build::capture(wf, "2", "1");
        return wf;
    };
    RunResult r = h.run(node5(5.0, "zzz"));
    EXPECT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
    ValidationReport rep = expect_invalid(h, node5(7.0, "a"));
    ASSERT_EQ(error_types(rep, "1"), (std::vector<std::string>{"custom_validation_failed", "custom_validation_failed"}))
        << "one error per input the function received: " << report_text(rep);
    EXPECT_NE(rep.node_errors.at("1").errors[0].details.find("7 is not allowed"), std::string::npos);
}

TEST(ValidationRun, SomeOutputsInvalidValidOnesStillRun) {
    Harness h;
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::save_image(wf, "2", "1");
    wf.add("3", "TestSaveImage");           // missing input
    build::save_image(wf, "4", "99");       // link to a node that does not exist
    ValidationReport v = h.validate(wf);
    EXPECT_TRUE(v.ok()) << report_text(v);
    RunResult r = h.run(wf);
    EXPECT_EQ(r.status, RunStatus::Success) << run_status_name(r.status);
    EXPECT_TRUE(r.validation.ok());
    EXPECT_EQ(r.validation.good_outputs, std::vector<std::string>{"2"});
    EXPECT_TRUE(r.validation.node_errors.count("3")) << report_text(r.validation);
    EXPECT_TRUE(r.validation.node_errors.count("4") || r.validation.node_errors.count("99")) << report_text(r.validation);
    EXPECT_EQ(as_set(run_log().ran_ids()), (std::set<std::string>{"1", "2"}));
    EXPECT_EQ(saved_images(r, "2").size(), 1u);
}

TEST(ValidationRun, NodesOutsideOutputAncestryAreNeitherValidatedNorRun) {
    Harness h;
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::save_image(wf, "2", "1");
    build::int_math(wf, "9", "no_such_operation").set("a", 1).set("b", 2);  // invalid, but unused
    build::stub_int(wf, "10", 4);                                           // valid, unused
    RunResult r = h.run(wf);
    ASSERT_EQ(r.status, RunStatus::Success) << report_text(r.validation);
    EXPECT_TRUE(r.validation.node_errors.empty()) << report_text(r.validation);
    EXPECT_FALSE(run_log().ran("9"));
    EXPECT_FALSE(run_log().ran("10"));
}

TEST(ValidationRun, StaticCycleIsRejected) {
    Harness h;
    Workflow wf;
    wf.add("1", "TestVariadicAverage").link("input1", "2");
    wf.add("2", "TestVariadicAverage").link("input1", "1");
    build::save_image(wf, "3", "2");
    expect_invalid(h, wf);
}

TEST(ValidationRun, ValidateRunsNothing) {
    Harness h;
    Workflow wf;
    build::stub_image(wf, "1", "WHITE");
    build::save_image(wf, "2", "1");
    ValidationReport v = h.validate(wf);
    EXPECT_TRUE(v.ok());
    EXPECT_EQ(v.good_outputs, std::vector<std::string>{"2"});
    EXPECT_EQ(run_log().total(), 0u);
    EXPECT_EQ(h.session.cache_entries(), 0u);
}

}  // namespace
