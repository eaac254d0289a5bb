// An application's own node, registered exactly as weft's built-in nodes are, used in a workflow
// beside built-in nodes.
//
//   example_custom_node      # prints the gradient's checks and exits 0 when they hold
#include <weft/weft.h>

#include <cmath>
#include <cstdio>
#include <exception>

namespace {

// "ExampleGradient": a horizontal grey ramp from `start` (left) to `end` (right), as an IMAGE.
weft::NodeDefinition example_gradient() {
    weft::NodeDefinition def{weft::NodeSchema("ExampleGradient")
                                 .display("Example Gradient")
                                 .category("examples")
                                 .module("custom_nodes.example")
                                 .required(weft::Input::integer("width", 256).min(2).max(8192))
                                 .required(weft::Input::integer("height", 64).min(1).max(8192))
                                 .required(weft::Input::floating("start", 0.0).min(0.0).max(1.0).step(0.01))
                                 .required(weft::Input::floating("end", 1.0).min(0.0).max(1.0).step(0.01))
                                 .output("IMAGE")};
    def.execute = [](weft::NodeContext& ctx) {
        const int64_t w = ctx.get_int("width"), h = ctx.get_int("height");
        const double a = ctx.get_float("start"), b = ctx.get_float("end");
        weft::Tensor img = weft::Tensor::zeros({1, h, w, 3});
        float* p = img.data<float>();
        for (int64_t y = 0; y < h; ++y) {
            ctx.check_cancelled();
            for (int64_t x = 0; x < w; ++x)
                for (int c = 0; c < 3; ++c) p[(y * w + x) * 3 + c] = float(a + (b - a) * double(x) / double(w - 1));
        }
        ctx.set_output(0, std::move(img));
    };
    // Custom validation, as ComfyUI's VALIDATE_INPUTS: it receives the constants it names in
    // validate_handles (and replaces their built-in range checks), and refuses a flat ramp.
    def.validate_handles = {"start", "end"};
    def.validate = [](const weft::ValidateArgs& args) -> std::optional<std::string> {
        auto s = args.constants.find("start"), e = args.constants.find("end");
        if (s == args.constants.end() || e == args.constants.end()) return std::nullopt;  // linked: checked at run time
        const double a = s->second.as_float(), b = e->second.as_float();
        if (a < 0 || a > 1 || b < 0 || b > 1) return "start and end must be within 0..1";
        if (a == b) return "start and end are equal: the gradient would be flat";
        return std::nullopt;
    };
    return def;
}

bool near(double a, double b) { return std::fabs(a - b) < 1e-6; }

}  // namespace

int main() try {
    auto registry = weft::builtin_registry();
    registry->add(example_gradient());

    weft::Workflow wf;
    wf.add("1", "ExampleGradient").set("width", 11).set("height", 4).set("start", 0.0).set("end", 1.0);
    wf.add("2", "ImageInvert").link("image", "1", 0);
    wf.add("3", "GetImageSize").link("image", "2", 0);
    wf.add("4", "PreviewAny").link("source", "3", 0);

    weft::Session session(registry);
    weft::RunOptions options;
    options.capture = {"2"};
    const weft::RunResult r = session.run(wf, options);
    if (!r.ok()) {
        std::fprintf(stderr, "run %s\n", weft::run_status_name(r.status));
        return 1;
    }

    // The inverted ramp runs from 1 (left) to 0 (right); PreviewAny shows the width.
    const weft::Tensor img = r.output("2").as_tensor();
    const float* p = img.data<float>();
    const bool ramp_ok = img.shape() == weft::Shape{1, 4, 11, 3} && near(p[0], 1.0) && near(p[10 * 3], 0.0) &&
                         near(p[5 * 3 + 1], 0.5);
    const weft::Dict& ui = r.ui.at("4");
    const bool preview_ok = ui.at("text").as_list().at(0).as_string() == "11";
    std::printf("ExampleGradient -> ImageInvert: %s, left %.3f, middle %.3f, right %.3f, preview \"%s\"\n",
                img.describe().c_str(), p[0], p[5 * 3], p[10 * 3], ui.at("text").as_list().at(0).as_string().c_str());

    // The node's own validation rejects a flat ramp before anything runs.
    wf.find("1")->set("end", 0.0);
    const weft::ValidationReport bad = session.validate(wf);
    const bool validate_ok = !bad.ok() && bad.node_errors.count("1") == 1;
    std::printf("flat ramp rejected: %s\n", validate_ok ? "yes" : "no");

    const bool ok = ramp_ok && preview_ok && validate_ok;
    std::printf("%s\n", ok ? "custom node: ok" : "custom node: FAILED");
    return ok ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
