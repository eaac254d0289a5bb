// tests/support/test_nodes.cpp — the executor testing node pack (see test_nodes.h).
#include "test_nodes.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace weft::testing {

namespace {

const auto kProcessStart = std::chrono::steady_clock::now();

constexpr int kFlowSockets = 5;  // loop nodes carry initial_value0..4

std::string iv(int i) { return "initial_value" + std::to_string(i); }

Tensor image_full(int64_t batch, int64_t h, int64_t w, double value) {
    return Tensor::full({batch, h, w, 3}, static_cast<float>(value));
}

// A present input that holds something (an unset optional or a null output counts as absent).
bool present(const NodeContext& ctx, std::string_view name) { return ctx.has(name) && !ctx.input(name).is_null(); }

// IMAGE from a tensor or a number (the "IMAGE,FLOAT" inputs of the validation nodes).
Tensor as_image(const Value& v) {
    if (v.is_tensor()) return v.as_tensor();
    return image_full(1, 4, 4, v.as_float());
}

Tensor average(const std::vector<Tensor>& images) {
    if (images.empty()) throw Error(ErrorCode::InvalidInput, "nothing to average");
    Tensor out = Tensor::zeros(images.front().shape());
    float* o = out.data<float>();
    const int64_t n = out.numel();
    for (const Tensor& t : images) {
        if (t.numel() != n) throw Error(ErrorCode::InvalidInput, "average: shapes differ: " + t.describe() + " vs " + out.describe());
        Tensor c = t.contiguous();
        const float* p = c.data<float>();
        for (int64_t i = 0; i < n; ++i) o[i] += p[i];
    }
    for (int64_t i = 0; i < n; ++i) o[i] /= static_cast<float>(images.size());
    return out;
}

// image1 * (1 - mask) + image2 * mask; a missing image counts as zeros (it was not requested).
Tensor lazy_mix(const Tensor* a, const Tensor* b, const Tensor& mask_in) {
    const Tensor& ref = a ? *a : *b;
    const int64_t B = ref.size(0), H = ref.size(1), W = ref.size(2), C = ref.size(3);
    Tensor mask = mask_in.contiguous();
    const int64_t mB = mask.dim() == 3 ? mask.size(0) : 1;
    if (mask.size(-2) != H || mask.size(-1) != W) throw Error(ErrorCode::InvalidInput, "mask size differs from image size");
    Tensor out = Tensor::zeros({B, H, W, C});
    Tensor ca = a ? a->contiguous() : Tensor(), cb = b ? b->contiguous() : Tensor();
    const float* pa = a ? ca.data<float>() : nullptr;
    const float* pb = b ? cb.data<float>() : nullptr;
    const float* pm = mask.data<float>();
    float* o = out.data<float>();
    for (int64_t bi = 0; bi < B; ++bi)
        for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x) {
                const float m = pm[((bi % mB) * H + y) * W + x];
                for (int64_t c = 0; c < C; ++c) {
                    const int64_t i = ((bi * H + y) * W + x) * C + c;
                    o[i] = (pa ? pa[i] : 0.f) * (1.f - m) + (pb ? pb[i] : 0.f) * m;
                }
            }
    return out;
}

std::atomic<size_t> g_fingerprint_calls{0};
std::mutex g_fp_mu;
std::map<std::string, FingerprintBehaviour> g_fingerprints;
std::optional<bool> g_saw_linked;

// Wraps execute so every call lands in the RunLog, and fingerprint so calls are counted.
void add(NodeRegistry& reg, NodeDefinition def) {
    auto inner = std::move(def.execute);
    std::string cls = def.schema.name();
    def.execute = [inner = std::move(inner), cls](NodeContext& ctx) {
        NodeCall call{ctx.node_id(), cls, ctx.call_index(), now_ms(), 0, false};
        try {
            inner(ctx);
        } catch (...) {
            call.end_ms = now_ms();
            call.threw = true;
            run_log().record(std::move(call));
            throw;
        }
        call.end_ms = now_ms();
        run_log().record(std::move(call));
    };
    if (def.fingerprint) {
        auto fp = std::move(def.fingerprint);
        def.fingerprint = [fp = std::move(fp)](NodeContext& ctx) {
            ++g_fingerprint_calls;
            return fp(ctx);
        };
    }
    reg.add(std::move(def));
}

NodeSchema with_size(NodeSchema s) {
    return std::move(s.required(Input::integer("height", 8).min(1).max(4096))
                         .required(Input::integer("width", 8).min(1).max(4096))
                         .required(Input::integer("batch_size", 1).min(1).max(64)));
}

// ---- stubs ------------------------------------------------------------------------------------

void add_stubs(NodeRegistry& reg) {
    {
        NodeDefinition d{with_size(NodeSchema("StubImage").category("Testing/Stub_Nodes")
                                       .required(Input::combo("content", {"WHITE", "BLACK", "NOISE"})))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            const std::string& content = ctx.get_string("content");
            const int64_t h = ctx.get_int("height"), w = ctx.get_int("width"), b = ctx.get_int("batch_size");
            Tensor t = image_full(b, h, w, content == "WHITE" ? 1.0 : 0.0);
            if (content == "NOISE") {  // deterministic pseudo-noise: tests need reproducible pixels
                float* p = t.data<float>();
                uint32_t s = 2463534242u;
                for (int64_t i = 0; i < t.numel(); ++i) {
                    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
                    p[i] = static_cast<float>(s % 1000) / 999.f;
                }
            }
            ctx.set_output(0, t);
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{with_size(NodeSchema("StubConstantImage").category("Testing/Stub_Nodes")
                                       .required(Input::floating("value", 0.5).min(0.0).max(1.0)))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, image_full(ctx.get_int("batch_size"), ctx.get_int("height"), ctx.get_int("width"),
                                         ctx.get_float("value")));
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{with_size(NodeSchema("StubMask").category("Testing/Stub_Nodes")
                                       .required(Input::floating("value", 0.5).min(0.0).max(1.0)))
                             .output("MASK")};
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, Tensor::full({ctx.get_int("batch_size"), ctx.get_int("height"), ctx.get_int("width")},
                                           static_cast<float>(ctx.get_float("value"))));
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("StubInt").category("Testing/Stub_Nodes")
                             .required(Input::integer("value", 0).min(int64_t{-1000000}).max(int64_t{1000000}))
                             .output("INT")};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_int("value")); };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("StubFloat").category("Testing/Stub_Nodes")
                             .required(Input::floating("value", 0.0).min(-1e6).max(1e6))
                             .output("FLOAT")};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_float("value")); };
        add(reg, std::move(d));
    }
}

// ---- lazy, variadic, output nodes -------------------------------------------------------------

void add_images(NodeRegistry& reg) {
    {
        NodeDefinition d{NodeSchema("TestLazyMixImages").category("Testing/Nodes")
                             .required(Input::type_of("image1", "IMAGE").make_lazy())
                             .required(Input::type_of("image2", "IMAGE").make_lazy())
                             .required(Input::type_of("mask", "MASK"))
                             .output("IMAGE")};
        // Needs only image1 where the mask is all 0, only image2 where it is all 1.
        d.check_lazy = [](NodeContext& ctx) {
            std::vector<float> m = values(ctx.get_tensor("mask"));
            const float lo = *std::min_element(m.begin(), m.end()), hi = *std::max_element(m.begin(), m.end());
            std::vector<std::string> needed;
            if (lo < 1.f && !ctx.has("image1")) needed.push_back("image1");
            if (hi > 0.f && !ctx.has("image2")) needed.push_back("image2");
            return needed;
        };
        d.execute = [](NodeContext& ctx) {
            const Tensor* a = ctx.has("image1") ? &ctx.get_tensor("image1") : nullptr;
            const Tensor* b = ctx.has("image2") ? &ctx.get_tensor("image2") : nullptr;
            if (!a && !b) throw Error(ErrorCode::InvalidInput, "TestLazyMixImages got neither image");
            ctx.set_output(0, lazy_mix(a, b, ctx.get_tensor("mask")));
        };
        add(reg, std::move(d));
    }
    {
        // Asks for its lazy inputs one at a time, in order: staged again after each arrives.
        NodeDefinition d{NodeSchema("TestLazyOneAtATime").category("Testing/Nodes")
                             .required(Input::integer("a", 0).make_lazy())
                             .required(Input::integer("b", 0).make_lazy())
                             .required(Input::integer("c", 0).make_lazy())
                             .output("INT")};
        d.check_lazy = [](NodeContext& ctx) {
            for (const char* n : {"a", "b", "c"})
                if (!ctx.has(n)) return std::vector<std::string>{n};
            return std::vector<std::string>{};
        };
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_int("a") * 100 + ctx.get_int("b") * 10 + ctx.get_int("c")); };
        add(reg, std::move(d));
    }
    {
        // Averages input1 and every undeclared linked input whose name starts with "input".
        NodeDefinition d{NodeSchema("TestVariadicAverage").category("Testing/Nodes")
                             .required(Input::type_of("input1", "IMAGE"))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            std::vector<Tensor> imgs;
            for (const std::string& name : ctx.input_names())
                if (name.rfind("input", 0) == 0) imgs.push_back(ctx.get_tensor(name));
            ctx.set_output(0, average(imgs));
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestSaveImage").category("Testing/Nodes")
                             .required(Input::type_of("images", "IMAGE"))
                             .output_node()};
        d.execute = [](NodeContext& ctx) {
            const Tensor& t = ctx.get_tensor("images");
            List items;
            for (int64_t b = 0; b < t.size(0); ++b) items.push_back(t.slice(0, b, b + 1).contiguous());
            ctx.set_ui(Dict{{"images", Value(std::move(items))}});
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestOutputNodeWithSocketOutput").category("Testing/Nodes")
                             .required(Input::type_of("image", "IMAGE"))
                             .required(Input::floating("value", 0.5).min(0.0).max(1.0))
                             .output("IMAGE")
                             .output_node()};
        d.execute = [](NodeContext& ctx) {
            Tensor in = ctx.get_tensor("image").contiguous();
            Tensor out = Tensor::zeros(in.shape());
            const float v = static_cast<float>(ctx.get_float("value"));
            for (int64_t i = 0; i < in.numel(); ++i) out.data<float>()[i] = in.data<float>()[i] * v;
            ctx.set_output(0, out);
            ctx.set_ui(Dict{{"images", Value(List{Value(out)})}});
        };
        add(reg, std::move(d));
    }
    {
        // Stores every input it received (declared or not) into its UI output.
        NodeDefinition d{NodeSchema("TestCaptureInputs").category("Testing/Nodes")
                             .optional(Input::type_of("value", "*"))
                             .output_node()};
        d.execute = [](NodeContext& ctx) {
            List names;
            Dict vals;
            for (const std::string& n : ctx.input_names()) {
                names.push_back(Value(n));
                vals[n] = ctx.input(n);
            }
            ctx.set_ui(Dict{{"names", Value(std::move(names))}, {"values", Value(List{Value(std::move(vals))})}});
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestTypedInputs").category("Testing/Nodes")
                             .required(Input::integer("i", 0))
                             .required(Input::floating("f", 0.0))
                             .required(Input::string("s", ""))
                             .required(Input::boolean("b", false))
                             .output_node()};
        d.execute = [](NodeContext& ctx) {
            Dict vals{{"i", ctx.input("i")}, {"f", ctx.input("f")}, {"s", ctx.input("s")}, {"b", ctx.input("b")}};
            ctx.set_ui(Dict{{"values", Value(List{Value(std::move(vals))})}});
        };
        add(reg, std::move(d));
    }
    {
        std::vector<std::string> big;
        for (int i = 0; i < 25; ++i) big.push_back("opt_" + std::to_string(i));
        NodeDefinition d{NodeSchema("TestRange").category("Testing/Nodes")
                             .required(Input::integer("n", 5).min(int64_t{0}).max(int64_t{10}))
                             .required(Input::floating("x", 0.5).min(0.0).max(1.0).step(0.5))
                             .required(Input::combo("mode", {"alpha", "beta", "gamma"}))
                             .required(Input::combo("big", big))
                             .output_node()};
        d.execute = [](NodeContext& ctx) {
            ctx.set_ui(Dict{{"n", Value(List{ctx.input("n")})}, {"x", Value(List{ctx.input("x")})}});
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestNoInputs").category("Testing/Nodes").output("INT")};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, 42); };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestNotIdempotent").category("Testing/Nodes")
                             .required(Input::integer("value", 0))
                             .output("INT")
                             .not_idempotent()};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_int("value")); };
        add(reg, std::move(d));
    }
    for (const char* name : {"TestInstanceCounter", "TestInstanceCounter2"}) {
        // Counts its own calls in its instance state: persists per (node id, class).
        NodeDefinition d{NodeSchema(name).category("Testing/Nodes")
                             .required(Input::integer("tick", 0))
                             .output("INT")};
        d.execute = [](NodeContext& ctx) {
            int64_t& n = ctx.instance_state<int64_t>();
            ++n;
            ctx.set_output(0, n);
        };
        add(reg, std::move(d));
    }
}

// ---- IS_CHANGED (fingerprint) -------------------------------------------------------------------

void add_fingerprints(NodeRegistry& reg) {
    {
        NodeDefinition d{NodeSchema("TestCustomIsChanged").category("Testing/Nodes")
                             .required(Input::type_of("image", "IMAGE"))
                             .optional(Input::boolean("should_change", false))
                             .output("IMAGE")};
        d.fingerprint = [](NodeContext& ctx) -> std::optional<Value> {
            if (ctx.has("should_change") && ctx.get_bool("should_change")) return std::nullopt;
            return Value(false);
        };
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.input("image")); };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestIsChangedWithConstants").category("Testing/Nodes")
                             .required(Input::type_of("image", "IMAGE"))
                             .required(Input::floating("value", 0.5).min(0.0).max(1.0))
                             .output("IMAGE")};
        d.fingerprint = [](NodeContext& ctx) -> std::optional<Value> {
            {
                std::lock_guard lock(g_fp_mu);
                g_saw_linked = ctx.has("image");
            }
            return ctx.input("value");
        };
        d.execute = [](NodeContext& ctx) {
            Tensor in = ctx.get_tensor("image").contiguous();
            Tensor out = Tensor::zeros(in.shape());
            const float v = static_cast<float>(ctx.get_float("value"));
            for (int64_t i = 0; i < in.numel(); ++i) out.data<float>()[i] = in.data<float>()[i] * v;
            ctx.set_output(0, out);
        };
        add(reg, std::move(d));
    }
    {
        // Fingerprint controlled by the test through set_fingerprint(key, ...).
        NodeDefinition d{NodeSchema("TestFingerprint").category("Testing/Nodes")
                             .required(Input::string("key", "k"))
                             .optional(Input::type_of("image", "IMAGE"))
                             .output("IMAGE")};
        d.fingerprint = [](NodeContext& ctx) -> std::optional<Value> {
            const std::string key = ctx.get_string("key");
            FingerprintBehaviour b;
            {
                std::lock_guard lock(g_fp_mu);
                auto it = g_fingerprints.find(key);
                if (it == g_fingerprints.end()) return Value(key);
                b = it->second;
            }
            switch (b.kind) {
                case FingerprintBehaviour::Kind::AlwaysChanged: return std::nullopt;
                case FingerprintBehaviour::Kind::Throw: throw std::runtime_error("fingerprint failure for " + key);
                default: return b.value;
            }
        };
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, present(ctx, "image") ? ctx.input("image") : Value(image_full(1, 4, 4, 0.25)));
        };
        add(reg, std::move(d));
    }
}

// ---- custom validation ----------------------------------------------------------------------------

Tensor average_inputs(NodeContext& ctx) {
    std::vector<Tensor> imgs;
    for (const char* n : {"input1", "input2"})
        if (present(ctx, n)) imgs.push_back(as_image(ctx.input(n)));
    return average(imgs);
}

void add_validation(NodeRegistry& reg) {
    auto schema = [](const char* name) {
        return NodeSchema(name).category("Testing/Nodes")
            .required(Input::type_of("input1", "IMAGE,FLOAT"))
            .optional(Input::type_of("input2", "IMAGE,FLOAT"))
            .output("IMAGE");
    };
    {
        // Constants must be FLOAT (an INT or a STRING is rejected); no input_types.
        NodeDefinition d{schema("TestCustomValidation1")};
        d.validate_handles = {"input1", "input2"};  // its parameters: receives them, skips their built-in checks
        d.validate = [](const ValidateArgs& a) -> std::optional<std::string> {
            for (const char* n : {"input1", "input2"}) {
                auto it = a.constants.find(n);
                if (it != a.constants.end() && !it->second.is_float()) return std::string("Invalid type of ") + n;
            }
            return std::nullopt;
        };
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, average_inputs(ctx)); };
        add(reg, std::move(d));
    }
    {
        // Takes input_types: replaces the link type check (accepts MASK, which the declared type
        // would refuse, and rejects INT).
        NodeDefinition d{schema("TestCustomValidation2")};
        d.validate_handles = {"input1", "input2"};
        d.validate_takes_input_types = true;
        d.validate = [](const ValidateArgs& a) -> std::optional<std::string> {
            for (const auto& [name, type] : a.input_types)
                if (type != "IMAGE" && type != "FLOAT" && type != "MASK") return "Invalid type of " + name + ": " + type;
            return std::nullopt;
        };
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.input("input1").is_tensor() ? ctx.input("input1") : Value(average_inputs(ctx))); };
        add(reg, std::move(d));
    }
    {
        // Handles input1 itself (its min/max are not checked), input2 keeps its built-in range.
        NodeDefinition d{NodeSchema("TestCustomValidation3").category("Testing/Nodes")
                             .required(Input::floating("input1", 0.5).min(0.0).max(1.0))
                             .required(Input::floating("input2", 0.5).min(0.0).max(1.0))
                             .output("FLOAT")};
        d.validate_handles = {"input1"};
        d.validate = [](const ValidateArgs& a) -> std::optional<std::string> {
            auto it = a.constants.find("input1");
            if (it != a.constants.end() && it->second.as_float() > 10.0) return std::string("input1 is too big");
            return std::nullopt;
        };
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_float("input1") + ctx.get_float("input2")); };
        add(reg, std::move(d));
    }
    {
        // No input_types: the built-in link type check still applies, and linked inputs must be
        // absent from the constants it receives.
        NodeDefinition d{schema("TestCustomValidation4")};
        d.validate_handles = {"input1", "input2"};
        d.validate = [](const ValidateArgs& a) -> std::optional<std::string> {
            for (const char* n : {"input1", "input2"}) {
                auto it = a.constants.find(n);
                if (it != a.constants.end() && !it->second.is_null() && !it->second.is_number())
                    return std::string("linked input reached validation: ") + n;
            }
            return std::nullopt;
        };
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, average_inputs(ctx)); };
        add(reg, std::move(d));
    }
    {
        // Handles every input (ComfyUI's **kwargs): no built-in min/max/combo check at all.
        NodeDefinition d{NodeSchema("TestCustomValidation5").category("Testing/Nodes")
                             .required(Input::floating("input1", 0.5).min(0.0).max(1.0))
                             .optional(Input::combo("input2", {"a", "b"}))
                             .output("FLOAT")};
        d.validate_handles_all = true;
        d.validate = [](const ValidateArgs& a) -> std::optional<std::string> {
            auto it = a.constants.find("input1");
            if (it != a.constants.end() && it->second.as_float() == 7.0) return std::string("7 is not allowed");
            return std::nullopt;
        };
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, ctx.get_float("input1")); };
        add(reg, std::move(d));
    }
}

// ---- expansion --------------------------------------------------------------------------------------

void add_expansion(NodeRegistry& reg) {
    {
        // Expands into two nodes that feed each other: a cycle only the runtime can see.
        NodeDefinition d{NodeSchema("TestDynamicDependencyCycle").category("Testing/Nodes")
                             .required(Input::type_of("input1", "IMAGE"))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            Workflow g;
            g.add("cyc_a", "TestVariadicAverage").link("input1", "cyc_b", 0);
            g.add("cyc_b", "TestVariadicAverage").link("input1", "cyc_a", 0);
            ctx.expand(g, List{Value(Link{"cyc_b", 0})});
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestExpandConstant").category("Testing/Nodes")
                             .required(Input::floating("value", 0.5).min(0.0).max(1.0))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            Workflow g;
            g.add("const", "StubConstantImage").set("value", ctx.get_float("value")).set("height", 4).set("width", 4).set("batch_size", 1);
            ctx.expand(g, List{Value(Link{"const", 0})});
        };
        add(reg, std::move(d));
    }
    {
        // Expands into a constant image and an output node that saves it (not part of the results).
        NodeDefinition d{NodeSchema("TestExpandWithOutputNode").category("Testing/Nodes")
                             .required(Input::floating("value", 0.5).min(0.0).max(1.0))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            Workflow g;
            g.add("const", "StubConstantImage").set("value", ctx.get_float("value")).set("height", 4).set("width", 4).set("batch_size", 1);
            g.add("save", "TestSaveImage").link("images", "const", 0);
            ctx.expand(g, List{Value(Link{"const", 0})});
        };
        add(reg, std::move(d));
    }
    {
        // Expands into a node that fails.
        NodeDefinition d{NodeSchema("TestExpandToFailure").category("Testing/Nodes")
                             .required(Input::string("message", "failure inside an expansion"))
                             .output("*")};
        d.execute = [](NodeContext& ctx) {
            Workflow g;
            g.add("bad", "TestFailIf").set("fail", true).set("message", ctx.get_string("message")).set("kind", "weft");
            ctx.expand(g, List{Value(Link{"bad", 0})});
        };
        add(reg, std::move(d));
    }
    {
        // depth > 0 expands into itself with depth - 1: nested expansions.
        NodeDefinition d{NodeSchema("TestExpandNested").category("Testing/Nodes")
                             .required(Input::floating("value", 0.5).min(0.0).max(1.0))
                             .required(Input::integer("depth", 0).min(int64_t{0}).max(int64_t{100}))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            const int64_t depth = ctx.get_int("depth");
            if (depth == 0) {
                ctx.set_output(0, image_full(1, 4, 4, ctx.get_float("value")));
                return;
            }
            Workflow g;
            g.add("inner", "TestExpandNested").set("value", ctx.get_float("value")).set("depth", depth - 1);
            ctx.expand(g, List{Value(Link{"inner", 0})});
        };
        add(reg, std::move(d));
    }
    {
        // Some list elements return values, others expand (ComfyUI's mixed expansion returns).
        NodeDefinition d{NodeSchema("TestMixedExpansionReturns").category("Testing/Nodes")
                             .required(Input::floating("input1", 0.0).min(0.0).max(1.0))
                             .output("IMAGE")};
        d.execute = [](NodeContext& ctx) {
            const double v = ctx.get_float("input1");
            if (v < 0.15) {
                ctx.set_output(0, image_full(1, 4, 4, v));
            } else if (v < 0.25) {
                ctx.set_output(0, image_full(1, 4, 4, v));
                ctx.set_ui(Dict{{"kind", Value(List{Value("plain_with_ui")})}});
            } else {
                Workflow g;
                g.add("const", "StubConstantImage").set("value", v).set("height", 4).set("width", 4).set("batch_size", 1);
                ctx.expand(g, List{Value(Link{"const", 0})});
            }
        };
        add(reg, std::move(d));
    }
}

// ---- hidden inputs ----------------------------------------------------------------------------------

void add_hidden(NodeRegistry& reg) {
    {
        NodeDefinition d{NodeSchema("TestHiddenProbe").category("Testing/Nodes")
                             .required(Input::string("tag", ""))
                             .hidden("prompt", Hidden::Prompt)
                             .hidden("dynprompt", Hidden::DynPrompt)
                             .hidden("extra_pnginfo", Hidden::ExtraPngInfo)
                             .hidden("unique_id", Hidden::UniqueId)
                             .output("STRING", "unique_id")
                             .output("STRING", "display_id")
                             .output("STRING", "prompt")
                             .output("STRING", "workflow")
                             .output("STRING", "self_class")};
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, ctx.node_id());
            ctx.set_output(1, ctx.display_node_id());
            ctx.set_output(2, ctx.prompt_json());
            auto it = ctx.extra_pnginfo().find("workflow");
            ctx.set_output(3, it == ctx.extra_pnginfo().end() ? std::string("<absent>") : it->second);
            const WorkflowNode* self = ctx.find_node(ctx.node_id());
            ctx.set_output(4, self ? self->class_type : std::string("<not found>"));
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestExpandToProbe").category("Testing/Nodes")
                             .required(Input::string("tag", ""))
                             .output("STRING").output("STRING").output("STRING").output("STRING").output("STRING")};
        d.execute = [](NodeContext& ctx) {
            Workflow g;
            g.add("probe", "TestHiddenProbe").set("tag", ctx.get_string("tag"));
            List r;
            for (int i = 0; i < 5; ++i) r.push_back(Value(Link{"probe", i}));
            ctx.expand(g, std::move(r));
        };
        add(reg, std::move(d));
    }
    {
        // DYNPROMPT lookup of another node: its class, or "<none>".
        NodeDefinition d{NodeSchema("TestFindNode").category("Testing/Nodes")
                             .required(Input::string("target", ""))
                             .hidden("dynprompt", Hidden::DynPrompt)
                             .hidden("unique_id", Hidden::UniqueId)
                             .output("STRING")};
        d.execute = [](NodeContext& ctx) {
            const WorkflowNode* n = ctx.find_node(ctx.get_string("target"));
            ctx.set_output(0, n ? n->class_type : std::string("<none>"));
        };
        add(reg, std::move(d));
    }
}

// ---- flow control: loops by recursive expansion, blocker ------------------------------------------

// Records, for every node upstream of `node_id` (not crossing other loop ends), which nodes use it.
void explore_upstream(const NodeContext& ctx, const std::string& node_id,
                      std::map<std::string, std::vector<std::string>>& upstream) {
    const WorkflowNode* node = ctx.find_node(node_id);
    if (!node) throw Error(ErrorCode::InvalidInput, "loop: find_node(" + node_id + ") failed");
    for (const auto& [name, v] : node->inputs) {
        if (!v.is_link()) continue;
        const std::string& parent = v.as_link().node_id;
        const WorkflowNode* p = ctx.find_node(parent);
        if (!p) throw Error(ErrorCode::InvalidInput, "loop: find_node(" + parent + ") failed");
        if (p->class_type == "TestWhileLoopClose" || p->class_type == "TestForLoopClose") continue;
        auto [it, inserted] = upstream.try_emplace(parent);
        if (inserted) explore_upstream(ctx, parent, upstream);
        upstream[parent].push_back(node_id);
    }
}

void collect_contained(const std::string& node_id, const std::map<std::string, std::vector<std::string>>& upstream,
                       std::set<std::string>& contained) {
    auto it = upstream.find(node_id);
    if (it == upstream.end()) return;
    for (const std::string& child : it->second)
        if (contained.insert(child).second) collect_contained(child, upstream, contained);
}

void add_flow_control(NodeRegistry& reg) {
    {
        NodeSchema s("TestWhileLoopOpen");
        s.category("Testing/Flow").required(Input::boolean("condition", true)).output("FLOW_CONTROL");
        for (int i = 0; i < kFlowSockets; ++i) {
            s.optional(Input::type_of(iv(i), "*"));
            s.output("*", "value" + std::to_string(i));
        }
        NodeDefinition d{s};
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, "stub");
            for (int i = 0; i < kFlowSockets; ++i) ctx.set_output(i + 1, present(ctx, iv(i)) ? ctx.input(iv(i)) : Value());
        };
        add(reg, std::move(d));
    }
    {
        // While the condition holds, re-emits the loop body (every node between the open node and
        // this one, found through DYNPROMPT) with the open node fed this node's values.
        NodeSchema s("TestWhileLoopClose");
        s.category("Testing/Flow")
            .required(Input::type_of("flow_control", "FLOW_CONTROL").wants_raw_link())
            .required(Input::boolean("condition", false).forced_input());
        for (int i = 0; i < kFlowSockets; ++i) {
            s.optional(Input::type_of(iv(i), "*"));
            s.output("*", "value" + std::to_string(i));
        }
        s.hidden("dynprompt", Hidden::DynPrompt).hidden("unique_id", Hidden::UniqueId);
        NodeDefinition d{s};
        d.execute = [](NodeContext& ctx) {
            if (!ctx.get_bool("condition")) {
                for (int i = 0; i < kFlowSockets; ++i) ctx.set_output(i, present(ctx, iv(i)) ? ctx.input(iv(i)) : Value());
                return;
            }
            const std::string me = ctx.node_id();
            const std::string open_id = ctx.input("flow_control").as_link().node_id;
            std::map<std::string, std::vector<std::string>> upstream;
            explore_upstream(ctx, me, upstream);
            std::set<std::string> contained;
            collect_contained(open_id, upstream, contained);
            contained.insert(me);
            contained.insert(open_id);
            auto local = [&](const std::string& id) { return id == me ? std::string("Recurse") : id; };
            Workflow g;
            for (const std::string& id : contained) {
                const WorkflowNode* orig = ctx.find_node(id);
                WorkflowNode& n = g.add(local(id), orig->class_type);
                n.display_id = orig->display_id.value_or(id);
            }
            for (const std::string& id : contained) {
                const WorkflowNode* orig = ctx.find_node(id);
                WorkflowNode& n = *g.find(local(id));
                for (const auto& [name, v] : orig->inputs) {
                    if (v.is_link()) {
                        const Link& l = v.as_link();
                        n.link(name, contained.count(l.node_id) ? local(l.node_id) : l.node_id, l.slot);
                    } else {
                        n.set(name, v);
                    }
                }
            }
            WorkflowNode& open = *g.find(local(open_id));
            for (int i = 0; i < kFlowSockets; ++i) {
                if (present(ctx, iv(i))) open.set(iv(i), ctx.input(iv(i)));
                else open.erase(iv(i));
            }
            List results;
            for (int i = 0; i < kFlowSockets; ++i) results.push_back(Value(Link{"Recurse", i}));
            ctx.expand(g, std::move(results));
        };
        add(reg, std::move(d));
    }
    {
        // A counted loop: outputs (flow, remaining, value1..4); initial_value0 overrides remaining in
        // the copies the close node makes.
        NodeSchema s("TestForLoopOpen");
        s.category("Testing/Flow")
            .required(Input::integer("remaining", 1).min(int64_t{0}).max(int64_t{100000}))
            .output("FLOW_CONTROL")
            .output("INT", "remaining");
        s.optional(Input::type_of(iv(0), "*"));
        for (int i = 1; i < kFlowSockets; ++i) {
            s.optional(Input::type_of(iv(i), "*"));
            s.output("*", "value" + std::to_string(i));
        }
        NodeDefinition d{s};
        d.execute = [](NodeContext& ctx) {
            const int64_t remaining = present(ctx, iv(0)) ? ctx.input(iv(0)).as_int() : ctx.get_int("remaining");
            ctx.set_output(0, "stub");
            ctx.set_output(1, remaining);
            for (int i = 1; i < kFlowSockets; ++i) ctx.set_output(i + 1, present(ctx, iv(i)) ? ctx.input(iv(i)) : Value());
        };
        add(reg, std::move(d));
    }
    {
        // Expands into remaining - 1, a condition and a TestWhileLoopClose that does the recursion.
        NodeSchema s("TestForLoopClose");
        s.category("Testing/Flow").required(Input::type_of("flow_control", "FLOW_CONTROL").wants_raw_link());
        for (int i = 1; i < kFlowSockets; ++i) {
            s.optional(Input::type_of(iv(i), "*").wants_raw_link());
            s.output("*", "value" + std::to_string(i));
        }
        NodeDefinition d{s};
        d.execute = [](NodeContext& ctx) {
            const Link open = ctx.input("flow_control").as_link();
            Workflow g;
            g.add("forloop_sub", "TestIntMathOperation").link("a", open.node_id, 1).set("b", 1).set("operation", "subtract");
            g.add("forloop_cond", "TestToBoolNode").link("value", "forloop_sub", 0);
            WorkflowNode& close = g.add("forloop_close", "TestWhileLoopClose");
            close.link("flow_control", open.node_id, open.slot).link("condition", "forloop_cond", 0).link(iv(0), "forloop_sub", 0);
            for (int i = 1; i < kFlowSockets; ++i)
                if (ctx.has(iv(i)) && ctx.input(iv(i)).is_link()) {
                    const Link& l = ctx.input(iv(i)).as_link();
                    close.link(iv(i), l.node_id, l.slot);
                }
            List results;
            for (int i = 1; i < kFlowSockets; ++i) results.push_back(Value(Link{"forloop_close", i}));
            ctx.expand(g, std::move(results));
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestExecutionBlocker").category("Testing/Flow")
                             .required(Input::type_of("input", "*"))
                             .required(Input::boolean("block", false))
                             .required(Input::boolean("verbose", false))
                             .output("*")};
        d.execute = [](NodeContext& ctx) {
            if (!ctx.get_bool("block")) {
                ctx.set_output(0, ctx.input("input"));
                return;
            }
            Blocker b;
            if (ctx.get_bool("verbose")) b.message = "Blocked by TestExecutionBlocker";
            ctx.set_output(0, Value(b));
        };
        add(reg, std::move(d));
    }
}

// ---- ints, conditions, lists, accumulation --------------------------------------------------------

void add_utils(NodeRegistry& reg) {
    {
        NodeDefinition d{NodeSchema("TestIntMathOperation").category("Testing/Utils")
                             .required(Input::integer("a", 0).min(int64_t{-1000000000}).max(int64_t{1000000000}))
                             .required(Input::integer("b", 0).min(int64_t{-1000000000}).max(int64_t{1000000000}))
                             .required(Input::combo("operation", {"add", "subtract", "multiply", "divide", "modulo", "power"}))
                             .output("INT")};
        d.execute = [](NodeContext& ctx) {
            const int64_t a = ctx.get_int("a"), b = ctx.get_int("b");
            const std::string& op = ctx.get_string("operation");
            int64_t r = 0;
            if (op == "add") r = a + b;
            else if (op == "subtract") r = a - b;
            else if (op == "multiply") r = a * b;
            else if (op == "divide") r = b ? a / b : 0;
            else if (op == "modulo") r = b ? a % b : 0;
            else if (op == "power") r = static_cast<int64_t>(std::pow(static_cast<double>(a), static_cast<double>(b)));
            ctx.set_output(0, r);
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestToBoolNode").category("Testing/Utils")
                             .required(Input::type_of("value", "*"))
                             .output("BOOLEAN")};
        d.execute = [](NodeContext& ctx) {
            const Value& v = ctx.input("value");
            bool b = false;
            if (v.is_bool()) b = v.as_bool();
            else if (v.is_number()) b = v.as_float() != 0.0;
            else if (v.is_string()) b = !v.as_string().empty();
            else b = !v.is_null();
            ctx.set_output(0, b);
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestIntConditions").category("Testing/Utils")
                             .required(Input::integer("a", 0))
                             .required(Input::integer("b", 0))
                             .required(Input::combo("operation", {"==", "!=", "<", ">", "<=", ">="}))
                             .output("BOOLEAN")};
        d.execute = [](NodeContext& ctx) {
            const int64_t a = ctx.get_int("a"), b = ctx.get_int("b");
            const std::string& op = ctx.get_string("operation");
            bool r = op == "==" ? a == b : op == "!=" ? a != b : op == "<" ? a < b : op == ">" ? a > b : op == "<=" ? a <= b : a >= b;
            ctx.set_output(0, r);
        };
        add(reg, std::move(d));
    }
    {
        NodeSchema s("TestMakeListNode");
        s.category("Testing/Lists").required(Input::type_of("value1", "*"));
        for (int i = 2; i <= 5; ++i) s.optional(Input::type_of("value" + std::to_string(i), "*"));
        s.output("*", "list", true);
        NodeDefinition d{s};
        d.execute = [](NodeContext& ctx) {
            List items;
            for (int i = 1; i <= 5; ++i) {
                const std::string n = "value" + std::to_string(i);
                if (ctx.has(n)) items.push_back(ctx.input(n));
            }
            ctx.set_output_list(0, std::move(items));
        };
        add(reg, std::move(d));
    }
    {
        // OUTPUT_IS_LIST per call: `count` copies of value.
        NodeDefinition d{NodeSchema("TestRepeatToList").category("Testing/Lists")
                             .required(Input::type_of("value", "*"))
                             .required(Input::integer("count", 2).min(int64_t{0}).max(int64_t{100}))
                             .output("*", "list", true)};
        d.execute = [](NodeContext& ctx) {
            ctx.set_output_list(0, List(static_cast<size_t>(ctx.get_int("count")), ctx.input("value")));
        };
        add(reg, std::move(d));
    }
    {
        // INPUT_IS_LIST: one call with the whole lists; outputs (sum, number of items).
        NodeDefinition d{NodeSchema("TestListSum").category("Testing/Lists")
                             .required(Input::type_of("values", "INT"))
                             .output("INT", "sum")
                             .output("INT", "count")
                             .input_is_list()};
        d.execute = [](NodeContext& ctx) {
            int64_t sum = 0;
            const List& items = ctx.input_list("values");
            for (const Value& v : items) sum += v.as_int();
            ctx.set_output(0, sum);
            ctx.set_output(1, static_cast<int64_t>(items.size()));
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestAccumulateNode").category("Testing/Lists")
                             .required(Input::type_of("to_add", "*"))
                             .optional(Input::type_of("accumulation", "ACCUMULATION"))
                             .output("ACCUMULATION")};
        d.execute = [](NodeContext& ctx) {
            List items;
            if (present(ctx, "accumulation")) items = ctx.input("accumulation").as_dict().at("accum").as_list();
            items.push_back(ctx.input("to_add"));
            ctx.set_output(0, Dict{{"accum", Value(std::move(items))}});
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestAccumulationToListNode").category("Testing/Lists")
                             .required(Input::type_of("accumulation", "ACCUMULATION"))
                             .output("*", "list", true)};
        d.execute = [](NodeContext& ctx) { ctx.set_output_list(0, ctx.input("accumulation").as_dict().at("accum").as_list()); };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestListToAccumulationNode").category("Testing/Lists")
                             .required(Input::type_of("list", "*"))
                             .output("ACCUMULATION")
                             .input_is_list()};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, Dict{{"accum", Value(ctx.input_list("list"))}}); };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestAccumulationGetLengthNode").category("Testing/Lists")
                             .required(Input::type_of("accumulation", "ACCUMULATION"))
                             .output("INT")};
        d.execute = [](NodeContext& ctx) {
            ctx.set_output(0, static_cast<int64_t>(ctx.input("accumulation").as_dict().at("accum").as_list().size()));
        };
        add(reg, std::move(d));
    }
}

// ---- time, work, failure ----------------------------------------------------------------------------

void busy_for(NodeContext& ctx, double seconds) {
    const double start = thread_cpu_seconds();
    volatile double sink = 0;
    for (uint64_t i = 0;; ++i) {
        sink = sink + std::sqrt(static_cast<double>(i));
        if ((i & 0x3fff) == 0) {
            if (thread_cpu_seconds() - start >= seconds) break;
            ctx.check_cancelled();
        }
    }
}

void add_timing(NodeRegistry& reg) {
    {
        // Sleeps in small steps, reporting progress (which is where cancellation lands).
        NodeDefinition d{NodeSchema("TestSleep").category("Testing/Nodes")
                             .optional(Input::type_of("value", "*"))
                             .required(Input::floating("seconds", 0.1).min(0.0).max(3600.0))
                             .output("*")};
        d.execute = [](NodeContext& ctx) {
            const double seconds = ctx.get_float("seconds");
            const auto start = std::chrono::steady_clock::now();
            for (;;) {
                const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                if (el >= seconds) break;
                ctx.progress(el, seconds);
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            ctx.progress(seconds, seconds);
            ctx.set_output(0, present(ctx, "value") ? ctx.input("value") : Value(seconds));
        };
        add(reg, std::move(d));
    }
    for (bool exclusive : {false, true}) {
        // `seconds` of this thread's CPU time: a real single-core workload, not a sleep.
        NodeSchema s(exclusive ? "TestExclusiveWork" : "TestBusyWork");
        s.category("Testing/Nodes")
            .required(Input::floating("seconds", 0.1).min(0.0).max(60.0))
            .required(Input::string("tag", ""))
            .optional(Input::type_of("after", "*"))
            .output("FLOAT");
        if (exclusive) s.exclusive();
        NodeDefinition d{s};
        d.execute = [](NodeContext& ctx) {
            busy_for(ctx, ctx.get_float("seconds"));
            ctx.set_output(0, ctx.get_float("seconds"));
        };
        add(reg, std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestFailIf").category("Testing/Nodes")
                             .optional(Input::type_of("value", "*"))
                             .required(Input::boolean("fail", true))
                             .required(Input::string("message", "intentional test failure"))
                             .required(Input::combo("kind", {"weft", "std"}))
                             .output("*")};
        d.execute = [](NodeContext& ctx) {
            if (ctx.get_bool("fail")) {
                if (ctx.get_string("kind") == "std") throw std::runtime_error(ctx.get_string("message"));
                throw Error(ErrorCode::InvalidInput, ctx.get_string("message"));
            }
            ctx.set_output(0, present(ctx, "value") ? ctx.input("value") : Value(1));
        };
        add(reg, std::move(d));
    }
}

}  // namespace

// ---- public helpers ------------------------------------------------------------------------------

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - kProcessStart).count();
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void register_test_nodes(NodeRegistry& registry) {
    add_stubs(registry);
    add_images(registry);
    add_fingerprints(registry);
    add_validation(registry);
    add_expansion(registry);
    add_hidden(registry);
    add_flow_control(registry);
    add_utils(registry);
    add_timing(registry);
}

std::shared_ptr<NodeRegistry> test_registry() {
    auto reg = std::make_shared<NodeRegistry>();
    register_test_nodes(*reg);
    return reg;
}

void RunLog::reset() {
    std::lock_guard lock(mu_);
    calls_.clear();
}
void RunLog::record(NodeCall call) {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(call));
}
std::vector<NodeCall> RunLog::calls() const {
    std::vector<NodeCall> c;
    {
        std::lock_guard lock(mu_);
        c = calls_;
    }
    std::stable_sort(c.begin(), c.end(), [](const NodeCall& a, const NodeCall& b) { return a.start_ms < b.start_ms; });
    return c;
}
size_t RunLog::count(const std::string& node_id) const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(calls_.begin(), calls_.end(), [&](const NodeCall& c) { return c.node_id == node_id; }));
}
size_t RunLog::count_class(const std::string& class_type) const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(calls_.begin(), calls_.end(), [&](const NodeCall& c) { return c.class_type == class_type; }));
}
std::vector<std::string> RunLog::ran_ids() const {
    std::set<std::string> ids;
    std::lock_guard lock(mu_);
    for (const NodeCall& c : calls_) ids.insert(c.node_id);
    return {ids.begin(), ids.end()};
}
size_t RunLog::total() const {
    std::lock_guard lock(mu_);
    return calls_.size();
}
RunLog& run_log() {
    static RunLog log;
    return log;
}

void set_fingerprint(const std::string& key, FingerprintBehaviour b) {
    std::lock_guard lock(g_fp_mu);
    g_fingerprints[key] = std::move(b);
}
void reset_fingerprints() {
    std::lock_guard lock(g_fp_mu);
    g_fingerprints.clear();
    g_saw_linked.reset();
    g_fingerprint_calls = 0;
}
size_t fingerprint_calls() { return g_fingerprint_calls.load(); }
std::optional<bool> fingerprint_saw_linked_input() {
    std::lock_guard lock(g_fp_mu);
    return g_saw_linked;
}

EventCallback EventRecorder::callback() {
    return [this](const Event& e) {
        std::lock_guard lock(mu_);
        events_.push_back(e);
    };
}
void EventRecorder::clear() {
    std::lock_guard lock(mu_);
    events_.clear();
}
std::vector<Event> EventRecorder::events() const {
    std::lock_guard lock(mu_);
    return events_;
}
std::vector<EventType> EventRecorder::types() const {
    std::lock_guard lock(mu_);
    std::vector<EventType> t;
    for (const Event& e : events_) t.push_back(e.type);
    return t;
}
size_t EventRecorder::count(EventType t) const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(events_.begin(), events_.end(), [&](const Event& e) { return e.type == t; }));
}
size_t EventRecorder::count(EventType t, const std::string& node_id) const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(std::count_if(events_.begin(), events_.end(),
                                             [&](const Event& e) { return e.type == t && e.node_id == node_id; }));
}
long EventRecorder::index_of(EventType t, const std::string& node_id) const {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < events_.size(); ++i)
        if (events_[i].type == t && (node_id.empty() || events_[i].node_id == node_id)) return static_cast<long>(i);
    return -1;
}
std::vector<std::string> EventRecorder::node_ids(EventType t) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (const Event& e : events_)
        if (e.type == t) ids.push_back(e.node_id);
    return ids;
}
std::optional<Event> EventRecorder::first(EventType t, const std::string& node_id) const {
    std::lock_guard lock(mu_);
    for (const Event& e : events_)
        if (e.type == t && (node_id.empty() || e.node_id == node_id)) return e;
    return std::nullopt;
}
bool EventRecorder::seen(EventType t, const std::string& node_id) const { return index_of(t, node_id) >= 0; }

static SessionOptions session_options(const std::string& mode, int threads) {
    SessionOptions o;
    o.cache = CacheOptions::parse(mode);
    o.threads = threads;
    return o;
}

Harness::Harness(const std::string& cache_mode, int threads)
    : registry(test_registry()), session(registry, session_options(cache_mode, threads)), mode(cache_mode) {
    run_log().reset();
    reset_fingerprints();
}

RunResult Harness::run(const Workflow& wf, RunOptions options) {
    events.clear();
    return session.run(wf, options, events.callback());
}

ValidationReport Harness::validate(const Workflow& wf, RunOptions options) const { return session.validate(wf, options); }

std::vector<std::string> cache_modes() { return {"classic", "lru:100", "none", "ram:1G"}; }

std::vector<Tensor> saved_images(const RunResult& r, const std::string& node_id) {
    std::vector<Tensor> out;
    for (const Value& v : ui_list(r, node_id, "images")) out.push_back(v.as_tensor());
    return out;
}

List ui_list(const RunResult& r, const std::string& node_id, const std::string& key) {
    auto it = r.ui.find(node_id);
    if (it == r.ui.end()) return {};
    auto k = it->second.find(key);
    if (k == it->second.end() || !k->second.is_list()) return {};
    return k->second.as_list();
}

std::vector<float> values(const Tensor& t) {
    Tensor c = t.contiguous();
    if (c.dtype() != DType::F32) c = c.to(DType::F32);
    const float* p = c.data<float>();
    return std::vector<float>(p, p + c.numel());
}

double mean(const Tensor& t) {
    std::vector<float> v = values(t);
    double s = 0;
    for (float x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

std::string describe_calls() {
    std::ostringstream os;
    for (const NodeCall& c : run_log().calls()) os << c.node_id << "(" << c.class_type << ") ";
    return os.str();
}

namespace build {
WorkflowNode& stub_image(Workflow& w, std::string id, std::string content, int64_t size, int64_t batch) {
    return w.add(std::move(id), "StubImage").set("content", std::move(content)).set("height", size).set("width", size).set("batch_size", batch);
}
WorkflowNode& const_image(Workflow& w, std::string id, double value, int64_t size, int64_t batch) {
    return w.add(std::move(id), "StubConstantImage").set("value", value).set("height", size).set("width", size).set("batch_size", batch);
}
WorkflowNode& stub_mask(Workflow& w, std::string id, double value, int64_t size) {
    return w.add(std::move(id), "StubMask").set("value", value).set("height", size).set("width", size).set("batch_size", 1);
}
WorkflowNode& stub_int(Workflow& w, std::string id, int64_t value) { return w.add(std::move(id), "StubInt").set("value", value); }
WorkflowNode& stub_float(Workflow& w, std::string id, double value) { return w.add(std::move(id), "StubFloat").set("value", value); }
WorkflowNode& save_image(Workflow& w, std::string id, std::string from, int slot) {
    return w.add(std::move(id), "TestSaveImage").link("images", std::move(from), slot);
}
WorkflowNode& capture(Workflow& w, std::string id, std::string from, int slot) {
    return w.add(std::move(id), "TestCaptureInputs").link("value", std::move(from), slot);
}
WorkflowNode& int_math(Workflow& w, std::string id, std::string op) {
    return w.add(std::move(id), "TestIntMathOperation").set("operation", std::move(op));
}
WorkflowNode& sleep(Workflow& w, std::string id, double seconds) { return w.add(std::move(id), "TestSleep").set("seconds", seconds); }
WorkflowNode& fail_if(Workflow& w, std::string id, bool fail, std::string message) {
    return w.add(std::move(id), "TestFailIf").set("fail", fail).set("message", std::move(message)).set("kind", "weft");
}
Workflow int_chain(int n) {
    Workflow w;
    stub_int(w, "c0", 0);
    for (int i = 1; i <= n; ++i)
        int_math(w, "c" + std::to_string(i), "add").link("a", "c" + std::to_string(i - 1), 0).set("b", 1);
    capture(w, "out", "c" + std::to_string(n));
    return w;
}
}  // namespace build

}  // namespace weft::testing
