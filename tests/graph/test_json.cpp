// ComfyUI JSON shapes (json.h) and event names.
#include <weft/json.h>
#include <weft/session.h>

#include "graph_fixture.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace weft;
using nlohmann::json;

namespace {
Event ev(EventType t) {
    Event e;
    e.type = t;
    return e;
}
}  // namespace

TEST(Json, ValueRoundTrip) {
    Value v = value_from_json(R"({"a": [1, 2.5, "x", true, null], "seed": 18446744073709551615, "neg": -9223372036854775808})");
    ASSERT_TRUE(v.is_dict());
    const Dict& d = v.as_dict();
    EXPECT_EQ(d.at("a"), Value(List{1, 2.5, "x", true, Value()}));
    EXPECT_TRUE(d.at("a").as_list()[0].is_int());
    EXPECT_TRUE(d.at("a").as_list()[1].is_float());
    EXPECT_EQ(d.at("seed").as_uint64(), 18446744073709551615ull);
    EXPECT_EQ(d.at("neg").as_int(), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(value_from_json(value_to_json(v)), v);
    EXPECT_EQ(value_to_json(Value(uint64_t{18446744073709551615ull})), "18446744073709551615");
    EXPECT_EQ(value_to_json(Value(2.0)), "2.0");
    EXPECT_EQ(value_to_json(Value(Link{"4", 1})), R"(["4",1])");
    EXPECT_EQ(json::parse(value_to_json(Value(Tensor::zeros({1, 2, 2, 3})))).get<std::string>().find("[1, 2, 2, 3]") != std::string::npos, true);
    EXPECT_THROW(value_from_json("{bad"), Error);
    EXPECT_EQ(json::parse(value_to_json(Value(List{1}), 2)), json::parse("[1]"));
}

TEST(Json, EventShapes) {
    Event start = ev(EventType::ExecutionStart);
    start.prompt_id = "p1";
    start.timestamp = 1700000000123.0;
    EXPECT_EQ(json::parse(event_to_json(start)), json::parse(R"({"type": "execution_start", "data": {"prompt_id": "p1", "timestamp": 1700000000123}})"));

    Event cached = ev(EventType::ExecutionCached);
    cached.prompt_id = "p1";
    cached.nodes = {"1", "2"};
    cached.timestamp = 5;
    EXPECT_EQ(json::parse(event_to_json(cached)),
              json::parse(R"({"type": "execution_cached", "data": {"nodes": ["1", "2"], "prompt_id": "p1", "timestamp": 5}})"));

    Event exec = ev(EventType::Executing);
    exec.prompt_id = "p1";
    exec.node_id = "7";
    EXPECT_EQ(json::parse(event_to_json(exec)),
              json::parse(R"({"type": "executing", "data": {"node": "7", "display_node": "7", "prompt_id": "p1"}})"));
    exec.display_node_id = "3";
    EXPECT_EQ(json::parse(event_to_json(exec))["data"]["display_node"], "3");
    Event done = ev(EventType::Executing);  // the end-of-run marker
    done.prompt_id = "p1";
    EXPECT_EQ(json::parse(event_to_json(done)),
              json::parse(R"({"type": "executing", "data": {"node": null, "display_node": null, "prompt_id": "p1"}})"));

    Event prog = ev(EventType::Progress);
    prog.prompt_id = "p1";
    prog.node_id = "3";
    prog.value = 5;
    prog.max = 20;
    EXPECT_EQ(event_to_json(prog), R"({"type":"progress","data":{"value":5,"max":20,"prompt_id":"p1","node":"3"}})");
    prog.value = 0.5;
    EXPECT_EQ(json::parse(event_to_json(prog))["data"]["value"], 0.5);

    Event out = ev(EventType::Executed);
    out.prompt_id = "p1";
    out.node_id = "9";
    out.has_output = true;
    out.output = Dict{{"images", List{Dict{{"filename", "a.png"}, {"subfolder", ""}, {"type", "output"}}}}};
    EXPECT_EQ(json::parse(event_to_json(out)),
              json::parse(R"({"type": "executed", "data": {"node": "9", "display_node": "9",
                   "output": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}, "prompt_id": "p1"}})"));
    out.has_output = false;
    EXPECT_TRUE(json::parse(event_to_json(out))["data"]["output"].is_null());

    Event ok = ev(EventType::ExecutionSuccess);
    ok.prompt_id = "p1";
    ok.timestamp = 9;
    EXPECT_EQ(json::parse(event_to_json(ok)), json::parse(R"({"type": "execution_success", "data": {"prompt_id": "p1", "timestamp": 9}})"));
    ok.status = "partial_success";
    EXPECT_EQ(json::parse(event_to_json(ok))["data"]["completion_status"], "partial_success");
}

TEST(Json, ErrorEvents) {
    ExecutionError err;
    err.node_id = "4";
    err.node_type = "KSampler";
    err.exception_type = "weft::Error(invalid_input_type)";
    err.exception_message = "bad";
    err.traceback = {"frame"};
    err.current_inputs = {{"seed", {"42"}}};
    err.executed = {"1", "2"};
    json data = json::parse(execution_error_to_json(err));
    EXPECT_EQ(data, json::parse(R"j({"node_id": "4", "node_type": "KSampler", "executed": ["1", "2"],
        "exception_message": "bad", "exception_type": "weft::Error(invalid_input_type)", "traceback": ["frame"],
        "current_inputs": {"seed": ["42"]}, "current_outputs": ["1", "2"]})j"));

    Event e = ev(EventType::ExecutionError);
    e.prompt_id = "p";
    e.error = err;
    e.timestamp = 3;
    json j = json::parse(event_to_json(e));
    EXPECT_EQ(j["type"], "execution_error");
    EXPECT_EQ(j["data"]["prompt_id"], "p");
    EXPECT_EQ(j["data"]["node_id"], "4");
    EXPECT_EQ(j["data"]["timestamp"], 3);
    EXPECT_EQ(j["data"]["current_inputs"]["seed"][0], "42");
    for (const char* k : {"node_type", "executed", "exception_message", "exception_type", "traceback", "current_outputs"})
        EXPECT_TRUE(j["data"].contains(k)) << k;

    e.type = EventType::NodeError;
    EXPECT_EQ(json::parse(event_to_json(e))["type"], "execution_node_error");

    Event blocked = ev(EventType::ExecutionBlocked);
    blocked.prompt_id = "p";
    blocked.node_id = "6";
    blocked.node_type = "Gate";
    blocked.message = "closed";
    json b = json::parse(event_to_json(blocked));
    EXPECT_EQ(b["type"], "execution_error");
    EXPECT_EQ(b["data"]["exception_message"], "Execution Blocked: closed");
    EXPECT_EQ(b["data"]["node_id"], "6");
    EXPECT_FALSE(b["data"].contains("timestamp"));

    Event intr = ev(EventType::ExecutionInterrupted);
    intr.prompt_id = "p";
    intr.node_id = "5";
    intr.node_type = "Slow";
    intr.error.executed = {"1"};
    intr.timestamp = 8;
    EXPECT_EQ(json::parse(event_to_json(intr)),
              json::parse(R"({"type": "execution_interrupted", "data": {"prompt_id": "p", "node_id": "5", "node_type": "Slow", "executed": ["1"], "timestamp": 8}})"));
}

TEST(Json, ObjectInfo) {
    NodeRegistry reg;
    NodeSchema s("KSamplerish");
    s.display("K Sampler").category("sampling").description("Denoises.").module("nodes");
    s.required(Input::type_of("model", "MODEL"));
    s.required(Input::integer("seed", 0).min(0).max(Value(uint64_t{18446744073709551615ull})).with_control_after_generate());
    s.required(Input::floating("cfg", 8.0).min(0.0).max(100.0).step(0.1).round(0.01));
    s.required(Input::combo("sampler_name", {"euler", "heun"}).with_tooltip("The sampler."));
    s.optional(Input::string("text").is_multiline().forced_input());
    s.optional(Input::type_of("latent", "LATENT").make_lazy());
    s.hidden("unique_id", Hidden::UniqueId);
    s.hidden("prompt", Hidden::Prompt);
    s.output("LATENT", "latent_out");
    s.output("IMAGE", {}, true);
    reg.add(graph_test::def_of(s));
    reg.add(graph_test::def_of(NodeSchema("Saver").required(Input::type_of("images", "IMAGE")).output_node().deprecated()));

    Folders folders;
    json all = json::parse(object_info_json(reg, folders));
    ASSERT_TRUE(all.contains("KSamplerish"));
    ASSERT_TRUE(all.contains("Saver"));
    const json& k = all["KSamplerish"];
    EXPECT_EQ(k["input"]["required"]["model"], json::parse(R"(["MODEL", {}])"));
    EXPECT_EQ(k["input"]["required"]["seed"],
              json::parse(R"(["INT", {"default": 0, "min": 0, "max": 18446744073709551615, "control_after_generate": true}])"));
    EXPECT_EQ(k["input"]["required"]["cfg"], json::parse(R"(["FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01}])"));
    EXPECT_EQ(k["input"]["required"]["sampler_name"], json::parse(R"([["euler", "heun"], {"default": "euler", "tooltip": "The sampler."}])"));
    EXPECT_EQ(k["input"]["optional"]["text"], json::parse(R"(["STRING", {"default": "", "multiline": true, "forceInput": true}])"));
    EXPECT_EQ(k["input"]["optional"]["latent"], json::parse(R"(["LATENT", {"lazy": true}])"));
    EXPECT_EQ(k["input"]["hidden"], json::parse(R"({"unique_id": "UNIQUE_ID", "prompt": "PROMPT"})"));
    EXPECT_EQ(k["input_order"]["required"], json::parse(R"(["model", "seed", "cfg", "sampler_name"])"));
    EXPECT_EQ(k["input_order"]["optional"], json::parse(R"(["text", "latent"])"));
    EXPECT_EQ(k["output"], json::parse(R"(["LATENT", "IMAGE"])"));
    EXPECT_EQ(k["output_is_list"], json::parse("[false, true]"));
    EXPECT_EQ(k["output_name"], json::parse(R"(["latent_out", "IMAGE"])"));
    EXPECT_EQ(k["name"], "KSamplerish");
    EXPECT_EQ(k["display_name"], "K Sampler");
    EXPECT_EQ(k["description"], "Denoises.");
    EXPECT_EQ(k["python_module"], "nodes");
    EXPECT_EQ(k["category"], "sampling");
    EXPECT_EQ(k["output_node"], false);
    EXPECT_FALSE(k.contains("output_tooltips"));
    EXPECT_EQ(k["deprecated"], false);
    EXPECT_EQ(all["Saver"]["output_node"], true);
    EXPECT_EQ(all["Saver"]["deprecated"], true);
    EXPECT_EQ(all["Saver"]["output"], json::array());

    json one = json::parse(object_info_json(reg, folders, "Saver"));
    EXPECT_EQ(one.size(), 1u);
    EXPECT_TRUE(one.contains("Saver"));
    EXPECT_EQ(json::parse(object_info_json(reg, folders, "Missing")), json::object());
}

TEST(Json, ObjectInfoComboFromProvider) {
    NodeRegistry reg;
    reg.add(graph_test::def_of(NodeSchema("Loader").required(Input::combo("ckpt", {}).with_options_provider([](const Folders& f) {
        return std::vector<std::string>{f.models.front().string() + "/a.safetensors"};
    }))));
    Folders folders;
    folders.models = {"/m"};
    json j = json::parse(object_info_json(reg, folders));
    EXPECT_EQ(j["Loader"]["input"]["required"]["ckpt"][0], json::parse(R"(["/m/a.safetensors"])"));
}

TEST(Names, EventsAndStatus) {
    EXPECT_STREQ(event_name(EventType::ExecutionStart), "execution_start");
    EXPECT_STREQ(event_name(EventType::ExecutionCached), "execution_cached");
    EXPECT_STREQ(event_name(EventType::Executing), "executing");
    EXPECT_STREQ(event_name(EventType::Progress), "progress");
    EXPECT_STREQ(event_name(EventType::Executed), "executed");
    EXPECT_STREQ(event_name(EventType::ExecutionError), "execution_error");
    EXPECT_STREQ(event_name(EventType::NodeError), "execution_node_error");
    EXPECT_STREQ(event_name(EventType::ExecutionInterrupted), "execution_interrupted");
    EXPECT_STREQ(event_name(EventType::ExecutionSuccess), "execution_success");
}

