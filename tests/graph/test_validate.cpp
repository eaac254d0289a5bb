// graph::validate_workflow: ComfyUI's validate_prompt semantics (checklist items 3-15).
#include "graph/validate.h"

#include "graph_fixture.h"

#include <weft/json.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace weft;
using graph::validate_workflow;
using graph_test::def_of;

namespace {

struct V : ::testing::Test {
    std::shared_ptr<NodeRegistry> reg = graph_test::make_registry();
    Folders folders;

    graph::Validated run(const Workflow& wf, std::optional<std::vector<std::string>> targets = std::nullopt) {
        return validate_workflow(wf, *reg, folders, targets);
    }
    // The only error of node `id` (asserting there is exactly one).
    static const ErrorInfo& only_error(const graph::Validated& v, const std::string& id) {
        auto it = v.report.node_errors.find(id);
        if (it == v.report.node_errors.end()) throw std::runtime_error("no errors for node " + id);
        EXPECT_EQ(it->second.errors.size(), 1u) << validation_to_json(v.report, 2);
        return it->second.errors.at(0);
    }
    // A valid image -> invert -> save chain with ids 1, 2, 3.
    static Workflow chain() {
        Workflow wf;
        wf.add("1", "Image").set("width", 8);
        wf.add("2", "Invert").link("image", "1");
        wf.add("3", "Save").link("images", "2").set("prefix", "p");
        return wf;
    }
};

nlohmann::json as_json(const Value& v) { return nlohmann::json::parse(value_to_json(v)); }

}  // namespace

TEST_F(V, ValidChain) {
    auto v = run(chain());
    EXPECT_TRUE(v.report.ok());
    EXPECT_EQ(v.report.good_outputs, std::vector<std::string>{"3"});
    EXPECT_TRUE(v.report.node_errors.empty());
    EXPECT_EQ(v.coerced.size(), 3u);
}

TEST_F(V, UnknownClassRejectsWholePrompt) {
    Workflow wf = chain();
    wf.add("9", "NoSuchNode").set("x", 1);  // not even connected: every node is checked
    wf.find("9")->title = "Fancy";
    auto v = run(wf);
    ASSERT_TRUE(v.report.error);
    EXPECT_EQ(v.report.error->type, "missing_node_type");
    EXPECT_EQ(v.report.error->details, "Node ID '#9'");
    EXPECT_EQ(v.report.error->message, "Node 'Fancy' not found. The custom node may not be installed.");
    EXPECT_EQ(v.report.error->extra_info.at("class_type"), Value("NoSuchNode"));
    EXPECT_EQ(v.report.error->extra_info.at("node_id"), Value("9"));
    EXPECT_TRUE(v.report.good_outputs.empty());
    EXPECT_TRUE(v.report.node_errors.empty());
}

TEST_F(V, MissingClassType) {
    Workflow wf = chain();
    wf.add("5", "");
    auto v = run(wf);
    ASSERT_TRUE(v.report.error);
    EXPECT_EQ(v.report.error->type, "missing_node_type");
    EXPECT_EQ(v.report.error->details, "Node ID '#5'");
    EXPECT_TRUE(v.report.error->extra_info.at("class_type").is_null());
}

TEST_F(V, NoOutputs) {
    Workflow wf;
    wf.add("1", "Image").set("width", 8);
    auto v = run(wf);
    ASSERT_TRUE(v.report.error);
    EXPECT_EQ(v.report.error->type, "prompt_no_outputs");
    EXPECT_EQ(v.report.error->message, "Prompt has no outputs");

    // Targets: an empty list, or only non-output nodes, leave nothing to run.
    EXPECT_EQ(run(chain(), std::vector<std::string>{}).report.error->type, "prompt_no_outputs");
    EXPECT_EQ(run(chain(), std::vector<std::string>{"1", "2"}).report.error->type, "prompt_no_outputs");
    // Non-output ids among the targets are ignored.
    auto ok = run(chain(), std::vector<std::string>{"1", "3"});
    EXPECT_TRUE(ok.report.ok());
    EXPECT_EQ(ok.report.good_outputs, std::vector<std::string>{"3"});
}

TEST_F(V, RequiredInputMissing) {
    Workflow wf = chain();
    wf.find("3")->erase("images");
    auto v = run(wf);
    ASSERT_TRUE(v.report.error);
    EXPECT_EQ(v.report.error->type, "prompt_outputs_failed_validation");
    EXPECT_EQ(v.report.error->message, "Prompt outputs failed validation");
    EXPECT_EQ(v.report.error->details, "Required input is missing: images");
    const ErrorInfo& e = only_error(v, "3");
    EXPECT_EQ(e.type, "required_input_missing");
    EXPECT_EQ(e.message, "Required input is missing");
    EXPECT_EQ(e.details, "images");
    EXPECT_EQ(e.extra_info.at("input_name"), Value("images"));
    EXPECT_EQ(v.report.node_errors.at("3").class_type, "Save");
    EXPECT_EQ(v.report.node_errors.at("3").dependent_outputs, std::vector<std::string>{"3"});
}

TEST_F(V, OptionalInputMayBeAbsent) {
    Workflow wf;
    wf.add("1", "Sum").set("a", 1);
    wf.add("2", "Show").link("value", "1");
    EXPECT_TRUE(run(wf).report.ok());
    Workflow wf2;
    wf2.add("1", "Show");
    EXPECT_TRUE(run(wf2).report.ok());
}

TEST_F(V, ErrorsAreReportedOnTheAncestorOnly) {
    Workflow wf = chain();
    wf.set_input("1", "width", 0);
    auto v = run(wf);
    ASSERT_TRUE(v.report.error);
    ASSERT_EQ(v.report.node_errors.size(), 1u) << validation_to_json(v.report, 2);
    const ErrorInfo& e = only_error(v, "1");
    EXPECT_EQ(e.type, "value_smaller_than_min");
    EXPECT_EQ(e.message, "Value 0 smaller than min of 1");
    EXPECT_EQ(e.details, "width");
    EXPECT_EQ(e.extra_info.at("received_value"), Value(0));
    EXPECT_EQ(as_json(e.extra_info.at("input_config")), nlohmann::json::parse(R"(["INT", {"default": 8, "min": 1}])"));
    EXPECT_EQ(v.report.node_errors.at("1").dependent_outputs, std::vector<std::string>{"3"});
    EXPECT_EQ(v.report.error->details, "Value 0 smaller than min of 1: width");
}

TEST_F(V, ReturnTypeMismatch) {
    Workflow wf;
    wf.add("1", "Const").set("value", 1000);  // itself invalid, but not visited through a mismatched link
    wf.add("2", "Save").link("images", "1").set("prefix", "p");
    auto v = run(wf);
    ASSERT_EQ(v.report.node_errors.size(), 1u);
    const ErrorInfo& e = only_error(v, "2");
    EXPECT_EQ(e.type, "return_type_mismatch");
    EXPECT_EQ(e.message, "Return type mismatch between linked nodes");
    EXPECT_EQ(e.details, "images, received_type(INT) mismatch input_type(IMAGE)");
    EXPECT_EQ(e.extra_info.at("input_name"), Value("images"));
    EXPECT_EQ(e.extra_info.at("received_type"), Value("INT"));
    EXPECT_EQ(as_json(e.extra_info.at("linked_node")), nlohmann::json::parse(R"(["1", 0])"));
    EXPECT_EQ(as_json(e.extra_info.at("input_config")), nlohmann::json::parse(R"(["IMAGE", {}])"));
}

TEST_F(V, WildcardAndTypeSets) {
    Workflow wf;
    wf.add("1", "Image").set("width", 4);
    wf.add("2", "Multi").link("value", "1", 1);  // MASK into "IMAGE,MASK"
    wf.add("3", "AnyIn").link("value", "2");     // IMAGE into "*"
    wf.add("4", "Show").link("value", "3");
    EXPECT_TRUE(run(wf).report.ok());

    Workflow bad;
    bad.add("1", "Const").set("value", 1);
    bad.add("2", "Multi").link("value", "1");
    bad.add("3", "Show").link("value", "2");
    auto v = run(bad);
    EXPECT_EQ(only_error(v, "2").type, "return_type_mismatch");
}

TEST_F(V, LinkToMissingNodeOnAnOutput) {
    Workflow wf;
    wf.add("3", "Save").link("images", "99").set("prefix", "p");
    auto v = run(wf);
    const ErrorInfo& e = only_error(v, "3");
    EXPECT_EQ(e.type, "exception_during_validation");
    EXPECT_EQ(e.message, "Exception when validating node");
    EXPECT_NE(e.details.find("'99'"), std::string::npos);
    EXPECT_EQ(e.extra_info.at("exception_type"), Value("KeyError"));
    EXPECT_TRUE(e.extra_info.at("traceback").is_list());
}

TEST_F(V, LinkToMissingNodeInside) {
    Workflow wf = chain();
    wf.find("2")->link("image", "99");
    auto v = run(wf);
    ASSERT_EQ(v.report.node_errors.size(), 1u);
    const ErrorInfo& e = only_error(v, "2");
    EXPECT_EQ(e.type, "exception_during_inner_validation");
    EXPECT_EQ(e.message, "Exception when validating inner node");
    // The input and link are the parent's, as in ComfyUI.
    EXPECT_EQ(e.extra_info.at("input_name"), Value("images"));
    EXPECT_EQ(as_json(e.extra_info.at("linked_node")), nlohmann::json::parse(R"(["2", 0])"));
    EXPECT_EQ(e.extra_info.at("exception_type"), Value("KeyError"));
    EXPECT_EQ(e.extra_info.at("exception_message"), Value(e.details));
    EXPECT_EQ(v.report.node_errors.at("2").dependent_outputs, std::vector<std::string>{"3"});
}

TEST_F(V, BadOutputSlot) {
    Workflow wf = chain();
    wf.find("3")->link("images", "1", 5);
    auto v = run(wf);
    const ErrorInfo& e = only_error(v, "3");
    EXPECT_EQ(e.type, "exception_during_validation");
    EXPECT_EQ(e.extra_info.at("exception_type"), Value("IndexError"));
    EXPECT_NE(e.details.find("slot 5"), std::string::npos);
    wf.find("3")->link("images", "1", -1);  // a non-integral slot parsed from JSON
    EXPECT_EQ(only_error(run(wf), "3").extra_info.at("exception_type"), Value("IndexError"));
}

TEST_F(V, CoercionTable) {
    struct Case {
        const char* cls;
        const char* input;
        Value given;
        Value expected;
    };
    const Case cases[] = {
        {"Const", "value", "5", 5},
        {"Const", "value", " -7 ", -7},
        {"Const", "value", "1_0", 10},
        {"Const", "value", 5.9, 5},     // int() truncates toward zero
        {"Const", "value", -5.9, -5},
        {"Const", "value", true, 1},
        {"FloatConst", "value", "0.25", 0.25},
        {"FloatConst", "value", 1, 1.0},
        {"FloatConst", "value", false, 0.0},
        {"FloatConst", "value", "1e-1", 0.1},
        {"Text", "text", 5, "5"},
        {"Text", "text", 1.5, "1.5"},
        {"Text", "text", 2.0, "2.0"},
        {"Text", "text", true, "True"},
        {"Text", "text", Value(), "None"},
        {"Text", "text", List{1, "a"}, "[1, 'a']"},
        {"Flag", "flag", "false", true},  // Python bool(): any non-empty string is true
        {"Flag", "flag", "", false},
        {"Flag", "flag", 0, false},
        {"Flag", "flag", 2, true},
        {"Flag", "flag", 0.0, false},
        {"Flag", "flag", List{}, false},
        {"Flag", "flag", Value(), false},
    };
    for (const Case& c : cases) {
        Workflow wf;
        wf.add("1", c.cls).set(c.input, c.given);
        wf.add("2", "Show").link("value", "1");
        auto v = run(wf);
        ASSERT_TRUE(v.report.ok()) << c.cls << " " << c.given.describe() << "\n" << validation_to_json(v.report, 2);
        const Value& got = *v.coerced.find("1")->find(c.input);
        EXPECT_EQ(got, c.expected) << c.cls << " " << c.given.describe() << " -> " << got.describe();
        EXPECT_EQ(got.kind(), c.expected.kind()) << c.cls << " " << c.given.describe() << " -> " << got.describe();
        EXPECT_EQ(*wf.find("1")->find(c.input), c.given);  // the input workflow is untouched
    }
}

TEST_F(V, CoercionFailures) {
    struct Case {
        const char* cls;
        const char* input;
        Value given;
        const char* exception;
    };
    const Case cases[] = {
        {"Const", "value", "abc", "invalid literal for int() with base 10: 'abc'"},
        {"Const", "value", "5.5", "invalid literal for int() with base 10: '5.5'"},
        {"Const", "value", List{1}, "int() argument must be a string, a bytes-like object or a real number, not 'list'"},
        {"Const", "value", Value(), "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"},
        {"Const", "value", std::nan(""), "cannot convert float NaN to integer"},
        {"FloatConst", "value", "x1", "could not convert string to float: 'x1'"},
        {"FloatConst", "value", Dict{}, "float() argument must be a string or a real number, not 'dict'"},
    };
    for (const Case& c : cases) {
        Workflow wf;
        wf.add("1", c.cls).set(c.input, c.given);
        wf.add("2", "Show").link("value", "1");
        auto v = run(wf);
        const ErrorInfo& e = only_error(v, "1");
        EXPECT_EQ(e.type, "invalid_input_type");
        EXPECT_EQ(e.message, std::string("Failed to convert an input value to a ") +
                                 (std::string(c.cls) == "Const" ? "INT" : "FLOAT") + " value");
        EXPECT_EQ(e.extra_info.at("exception_message"), Value(c.exception));
        EXPECT_EQ(e.extra_info.at("received_value").describe(), c.given.describe());  // NaN != NaN
        EXPECT_EQ(e.extra_info.at("input_name"), Value(c.input));
        EXPECT_NE(e.details.find(c.exception), std::string::npos) << e.details;
    }
    Workflow wf;
    wf.add("1", "Const").set("value", "abc");
    wf.add("2", "Show").link("value", "1");
    EXPECT_EQ(only_error(run(wf), "1").details, "value, abc, invalid literal for int() with base 10: 'abc'");
}

TEST_F(V, RangeChecksAreExact) {
    auto check = [&](const char* cls, const char* input, Value given) -> std::string {
        Workflow wf;
        wf.add("1", cls).set(input, given);
        wf.add("2", "Show").link("value", "1");
        auto v = run(wf);
        if (v.report.ok()) return "ok";
        const ErrorInfo& e = only_error(v, "1");
        return e.type + ": " + e.message;
    };
    EXPECT_EQ(check("Const", "value", 100), "ok");
    EXPECT_EQ(check("Const", "value", -100), "ok");
    EXPECT_EQ(check("Const", "value", 101), "value_bigger_than_max: Value 101 bigger than max of 100");
    EXPECT_EQ(check("Const", "value", -101), "value_smaller_than_min: Value -101 smaller than min of -100");
    EXPECT_EQ(check("Const", "value", "150"), "value_bigger_than_max: Value 150 bigger than max of 100");  // after coercion
    EXPECT_EQ(check("FloatConst", "value", 1.0), "ok");
    EXPECT_EQ(check("FloatConst", "value", 1.0000000000000002), "value_bigger_than_max: Value 1.0000000000000002 bigger than max of 1.0");
    EXPECT_EQ(check("FloatConst", "value", -0.5), "value_smaller_than_min: Value -0.5 smaller than min of 0.0");
    // Seeds up to 2^64-1.
    EXPECT_EQ(check("Seed", "seed", Value(uint64_t{18446744073709551615ull})), "ok");
    EXPECT_EQ(check("Seed", "seed", "18446744073709551615"), "ok");
    EXPECT_EQ(check("Seed", "seed", -1), "value_smaller_than_min: Value -1 smaller than min of 0");
    EXPECT_EQ(check("Seed", "seed", 18446744073709551616.0).substr(0, 18), "invalid_input_type");
    // step is not enforced.
    reg->add(def_of(NodeSchema("Stepped").required(Input::integer("v", 0).step(8)).output("INT")));
    EXPECT_EQ(check("Stepped", "v", 3), "ok");
}

TEST_F(V, ComboValueNotInList) {
    Workflow wf;
    wf.add("1", "Pick").set("mode", "d");
    wf.add("2", "Show").link("value", "1");
    auto v1_ = run(wf);
    const ErrorInfo& e = only_error(v1_, "1");
    EXPECT_EQ(e.type, "value_not_in_list");
    EXPECT_EQ(e.message, "Value not in list");
    EXPECT_EQ(e.details, "mode: 'd' not in ['a', 'b', 'c']");
    EXPECT_EQ(e.extra_info.at("received_value"), Value("d"));
    EXPECT_EQ(as_json(e.extra_info.at("input_config")), nlohmann::json::parse(R"([["a", "b", "c"], {"default": "a"}])"));

    wf.set_input("1", "mode", "b");
    EXPECT_TRUE(run(wf).report.ok());
    wf.set_input("1", "mode", 1);  // not a string: not in the list
    EXPECT_EQ(only_error(run(wf), "1").details, "mode: 1 not in ['a', 'b', 'c']");
}

TEST_F(V, ComboOverTwentyOptionsIsShortened) {
    Workflow wf;
    wf.add("1", "BigCombo").set("name", "zzz");
    wf.add("2", "Show").link("value", "1");
    auto v2_ = run(wf);
    const ErrorInfo& e = only_error(v2_, "1");
    EXPECT_EQ(e.details, "name: 'zzz' not in (list of length 30)");
    ASSERT_TRUE(e.extra_info.count("input_config"));
    EXPECT_TRUE(e.extra_info.at("input_config").is_null());
    wf.set_input("1", "name", "opt29");
    EXPECT_TRUE(run(wf).report.ok());
}

TEST_F(V, ComboValuesComeFromTheProvider) {
    reg->add(def_of(NodeSchema("Files")
                        .required(Input::combo("file", {}).with_options_provider(
                            [](const Folders& f) { return std::vector<std::string>{f.input.filename().string() + ".png"}; }))
                        .output("IMAGE")));
    folders.input = "/data/inbox";
    Workflow wf;
    wf.add("1", "Files").set("file", "inbox.png");
    wf.add("2", "Show").link("value", "1");
    EXPECT_TRUE(run(wf).report.ok());
    wf.set_input("1", "file", "other.png");
    EXPECT_EQ(only_error(run(wf), "1").type, "value_not_in_list");
}

TEST_F(V, CustomValidationHandlesAnInput) {
    // Like LoadImage: the custom check replaces the built-in range check of the inputs it names.
    std::vector<Dict> seen;
    NodeDefinition d = def_of(NodeSchema("Custom")
                                  .required(Input::integer("value", 0).min(0).max(10))
                                  .required(Input::integer("other", 0).min(0).max(10))
                                  .optional(Input::type_of("image", "IMAGE"))
                                  .output("INT"));
    d.validate_handles = {"value"};
    d.validate = [&seen](const ValidateArgs& a) -> std::optional<std::string> {
        seen.push_back(a.constants);
        if (a.constants.at("value").as_int() == 13) return "unlucky";
        return std::nullopt;
    };
    reg->add(std::move(d));

    Workflow wf;
    wf.add("0", "Image").set("width", 2);
    wf.add("1", "Custom").set("value", "200").set("other", 5).link("image", "0");
    wf.add("2", "Show").link("value", "1");
    auto v = run(wf);
    EXPECT_TRUE(v.report.ok()) << validation_to_json(v.report, 2);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].size(), 1u);                // only the inputs it handles
    EXPECT_EQ(seen[0].at("value"), Value(200));  // already coerced

    wf.set_input("1", "other", 11);  // not handled: the range check stays
    EXPECT_EQ(only_error(run(wf), "1").type, "value_bigger_than_max");

    wf.set_input("1", "other", 1);
    wf.set_input("1", "value", 13);
    auto v3_ = run(wf);
    const ErrorInfo& e = only_error(v3_, "1");
    EXPECT_EQ(e.type, "custom_validation_failed");
    EXPECT_EQ(e.message, "Custom validation failed for node");
    EXPECT_EQ(e.details, "value - unlucky");
    EXPECT_EQ(e.extra_info.at("input_name"), Value("value"));
}

TEST_F(V, CustomValidationHandlesAll) {
    NodeDefinition d = def_of(NodeSchema("Kw")
                                  .required(Input::integer("a", 0).max(1))
                                  .required(Input::combo("b", {"x"}))
                                  .optional(Input::type_of("image", "IMAGE"))
                                  .output("INT"));
    d.validate_handles_all = true;
    Dict got;
    d.validate = [&got](const ValidateArgs& a) -> std::optional<std::string> {
        got = a.constants;
        if (a.constants.at("b") == Value("fail")) return "nope";
        return std::nullopt;
    };
    reg->add(std::move(d));
    Workflow wf;
    wf.add("0", "Image").set("width", 2);
    wf.add("1", "Kw").set("a", 5).set("b", "y").link("image", "0");
    wf.add("2", "Show").link("value", "1");
    EXPECT_TRUE(run(wf).report.ok());  // no range or combo check at all
    EXPECT_EQ(got.size(), 2u);          // linked inputs are absent
    EXPECT_FALSE(got.count("image"));

    wf.set_input("1", "b", "fail");
    auto v = run(wf);
    // ComfyUI reports one error per input passed to the function (linked ones included).
    const auto& errs = v.report.node_errors.at("1").errors;
    ASSERT_EQ(errs.size(), 3u);
    EXPECT_EQ(errs[0].details, "a - nope");
    EXPECT_EQ(errs[1].details, "b - nope");
    EXPECT_EQ(errs[2].details, "image - nope");
}

TEST_F(V, CustomValidationWithoutHandledInputs) {
    NodeDefinition d = def_of(NodeSchema("Plain").required(Input::integer("a", 0).max(1)).output("INT"));
    d.validate = [](const ValidateArgs& a) -> std::optional<std::string> {
        EXPECT_TRUE(a.constants.empty());
        return "whole node is wrong";
    };
    reg->add(std::move(d));
    Workflow wf;
    wf.add("1", "Plain").set("a", 5);
    wf.add("2", "Show").link("value", "1");
    auto v = run(wf);
    const auto& errs = v.report.node_errors.at("1").errors;
    ASSERT_EQ(errs.size(), 2u);
    EXPECT_EQ(errs[0].type, "value_bigger_than_max");  // built-in checks still apply
    EXPECT_EQ(errs[1].type, "custom_validation_failed");
    EXPECT_EQ(errs[1].details, "whole node is wrong");
    EXPECT_TRUE(errs[1].extra_info.empty());
}

TEST_F(V, CustomValidationTakesInputTypes) {
    NodeDefinition d = def_of(NodeSchema("Typed").required(Input::type_of("image", "IMAGE")).output("IMAGE"));
    d.validate_takes_input_types = true;
    std::map<std::string, std::string> types;
    d.validate = [&types](const ValidateArgs& a) -> std::optional<std::string> {
        types = a.input_types;
        if (a.input_types.at("image") == "STRING") return "strings are not images";
        return std::nullopt;
    };
    reg->add(std::move(d));
    Workflow wf;
    wf.add("0", "Const").set("value", 1);
    wf.add("1", "Typed").link("image", "0");
    wf.add("2", "Show").link("value", "1");
    auto v = run(wf);
    EXPECT_TRUE(v.report.ok()) << validation_to_json(v.report, 2);  // INT into IMAGE: its own check decides
    EXPECT_EQ(types.at("image"), "INT");

    wf.remove("0");
    wf.add("0", "Text").set("text", "x");
    auto v2 = run(wf);
    const ErrorInfo& e = only_error(v2, "1");
    EXPECT_EQ(e.type, "custom_validation_failed");
    EXPECT_EQ(e.details, "input_types - strings are not images");
}

TEST_F(V, CustomValidationThrows) {
    NodeDefinition d = def_of(NodeSchema("Thrower").required(Input::integer("a")).output("IMAGE"));
    d.validate = [](const ValidateArgs&) -> std::optional<std::string> { throw Error(ErrorCode::InternalError, "exploded"); };
    reg->add(std::move(d));
    NodeDefinition o = def_of(NodeSchema("ThrowerOut").required(Input::integer("a")).output_node());
    o.validate = [](const ValidateArgs&) -> std::optional<std::string> { throw std::runtime_error("out exploded"); };
    reg->add(std::move(o));

    Workflow wf;
    wf.add("1", "Thrower").set("a", 1);
    wf.add("2", "Save").link("images", "1").set("prefix", "p");
    wf.add("3", "ThrowerOut").set("a", 1);
    auto v = run(wf);
    const ErrorInfo& inner = only_error(v, "1");
    EXPECT_EQ(inner.type, "exception_during_inner_validation");
    EXPECT_EQ(inner.details, "internal_error: exploded");
    EXPECT_EQ(inner.extra_info.at("exception_type"), Value("weft::Error(internal_error)"));
    const ErrorInfo& outer = only_error(v, "3");
    EXPECT_EQ(outer.type, "exception_during_validation");
    EXPECT_EQ(outer.details, "out exploded");
}

TEST_F(V, PartialOutputsStillRun) {
    Workflow wf = chain();
    wf.add("4", "Image").set("width", -5);
    wf.add("5", "Save").link("images", "4").set("prefix", "q");
    auto v = run(wf);
    EXPECT_TRUE(v.report.ok());  // one output is good: accepted
    EXPECT_EQ(v.report.good_outputs, std::vector<std::string>{"3"});
    ASSERT_EQ(v.report.node_errors.size(), 1u);
    EXPECT_EQ(v.report.node_errors.at("4").dependent_outputs, std::vector<std::string>{"5"});

    // Targets restrict what is validated at all.
    auto only3 = run(wf, std::vector<std::string>{"3"});
    EXPECT_TRUE(only3.report.ok());
    EXPECT_TRUE(only3.report.node_errors.empty());
    auto only5 = run(wf, std::vector<std::string>{"5"});
    ASSERT_TRUE(only5.report.error);
    EXPECT_EQ(only5.report.error->type, "prompt_outputs_failed_validation");
}

TEST_F(V, UnreachableNodesAreNotValidated) {
    Workflow wf = chain();
    wf.add("7", "Const").set("value", 99999);      // out of range, but nothing needs it
    wf.add("8", "Invert").link("image", "404");    // dangling link, also unreachable
    wf.add("9", "Invert");                         // required input missing, unreachable
    auto v = run(wf);
    EXPECT_TRUE(v.report.ok());
    EXPECT_TRUE(v.report.node_errors.empty());
}

TEST_F(V, DependentOutputsListEveryOutputThatNeedsTheNode) {
    Workflow wf;
    wf.add("1", "Image").set("width", 0);
    wf.add("2", "Save").link("images", "1").set("prefix", "a");
    wf.add("3", "Save").link("images", "1").set("prefix", "b");
    wf.add("4", "Save").set("prefix", "c");  // fails on its own
    auto v = run(wf);
    ASSERT_TRUE(v.report.error);
    EXPECT_EQ(v.report.node_errors.at("1").dependent_outputs, (std::vector<std::string>{"2", "3"}));
    EXPECT_EQ(v.report.node_errors.at("4").dependent_outputs, (std::vector<std::string>{"4"}));
    EXPECT_FALSE(v.report.node_errors.count("2"));
    EXPECT_EQ(v.report.error->details, "Value 0 smaller than min of 1: width\nRequired input is missing: images");
}

TEST_F(V, StaticCycle) {
    Workflow wf;
    wf.add("1", "Invert").link("image", "2");
    wf.add("2", "Invert").link("image", "1");
    wf.add("3", "Save").link("images", "2").set("prefix", "p");
    auto v = run(wf);
    ASSERT_TRUE(v.report.error);
    EXPECT_EQ(v.report.error->type, "prompt_outputs_failed_validation");
    const ErrorInfo& e1 = only_error(v, "1");
    const ErrorInfo& e2 = only_error(v, "2");
    EXPECT_EQ(e1.type, "dependency_cycle");
    EXPECT_EQ(e1.message, "Dependency cycle detected");
    EXPECT_EQ(e1.details, "2 (Invert) -> 1 (Invert) -> 2 (Invert)");
    EXPECT_EQ(e2.details, e1.details);
    EXPECT_EQ(e1.extra_info.at("cycle_nodes"), Value(List{"2", "1"}));
    EXPECT_EQ(e1.extra_info.at("node_id"), Value("1"));
    EXPECT_FALSE(v.report.node_errors.count("3"));
    EXPECT_EQ(v.report.node_errors.at("1").dependent_outputs, std::vector<std::string>{"3"});

    Workflow self;
    self.add("1", "Invert").link("image", "1");
    self.add("2", "Save").link("images", "1").set("prefix", "p");
    EXPECT_EQ(only_error(run(self), "1").details, "1 (Invert) -> 1 (Invert)");
}

TEST_F(V, UndeclaredInputs) {
    Workflow wf = chain();
    wf.find("2")->set("junk", 5).link("extra", "1", 1).link("dangling", "404");
    auto v = run(wf);
    EXPECT_TRUE(v.report.ok());  // undeclared links are neither type-checked nor followed
    const WorkflowNode* n = v.coerced.find("2");
    EXPECT_EQ(n->find("junk"), nullptr);  // undeclared constant dropped
    ASSERT_NE(n->find("extra"), nullptr);
    EXPECT_EQ(n->find("extra")->as_link(), (Link{"1", 1}));
    EXPECT_NE(n->find("image"), nullptr);
}

TEST_F(V, LongChainDoesNotOverflow) {
    constexpr int N = 3000;
    Workflow wf;
    wf.add("0", "Image").set("width", 8);
    for (int i = 1; i <= N; ++i) wf.add(std::to_string(i), "Invert").link("image", std::to_string(i - 1));
    wf.add("out", "Save").link("images", std::to_string(N)).set("prefix", "p");
    EXPECT_TRUE(run(wf).report.ok());

    wf.set_input("0", "width", 0);
    auto v = run(wf);
    ASSERT_EQ(v.report.node_errors.size(), 1u);
    EXPECT_EQ(only_error(v, "0").type, "value_smaller_than_min");

    // Close the chain into a 3001-node cycle.
    wf.find("0")->erase("width");
    wf.remove("0");
    wf.add("0", "Invert").link("image", std::to_string(N));
    auto c = run(wf);
    ASSERT_TRUE(c.report.error);
    EXPECT_EQ(c.report.node_errors.size(), static_cast<size_t>(N + 1));
    const ErrorInfo& ce = c.report.node_errors.at("1500").errors[0];
    EXPECT_EQ(ce.type, "dependency_cycle");
    EXPECT_EQ(ce.extra_info.at("cycle_nodes").as_list().size(), static_cast<size_t>(N + 1));
    // The path in the details is shortened in the middle for such a long cycle.
    EXPECT_NE(ce.details.find("-> ... (2972 more) ->"), std::string::npos) << ce.details.substr(0, 300);
    EXPECT_LT(ce.details.size(), 1000u);
}

TEST_F(V, ValidationJsonShape) {
    Workflow wf = chain();
    wf.find("3")->erase("images");
    auto j = nlohmann::json::parse(validation_to_json(run(wf).report));
    EXPECT_EQ(j["error"]["type"], "prompt_outputs_failed_validation");
    EXPECT_TRUE(j["error"]["extra_info"].is_object());
    EXPECT_EQ(j["node_errors"]["3"]["class_type"], "Save");
    EXPECT_EQ(j["node_errors"]["3"]["dependent_outputs"], nlohmann::json::parse(R"(["3"])"));
    EXPECT_EQ(j["node_errors"]["3"]["errors"][0]["type"], "required_input_missing");
    EXPECT_EQ(j["node_errors"]["3"]["errors"][0]["extra_info"]["input_name"], "images");
    auto ok = nlohmann::json::parse(validation_to_json(run(chain()).report));
    EXPECT_FALSE(ok.contains("error"));
    EXPECT_TRUE(ok["node_errors"].empty());
}
