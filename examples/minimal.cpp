// The smallest embedding of weft: load (or build) a workflow, run it, read an image in C++.
//
//   example_minimal                   # builds EmptyImage -> ImageInvert -> size preview in code
//   example_minimal workflow.json     # runs a file and reports every IMAGE output it produced
#include <weft/weft.h>

#include <cstdio>
#include <exception>

namespace {

// The mean of every element (IMAGE values are in 0..1).
double mean_of(const weft::Tensor& t) {
    const weft::Tensor f = t.to(weft::DType::F32).contiguous();
    const float* p = f.data<float>();
    double sum = 0;
    for (int64_t i = 0; i < f.numel(); ++i) sum += p[i];
    return f.numel() ? sum / double(f.numel()) : 0.0;
}

}  // namespace

int main(int argc, char** argv) try {
    weft::Workflow wf;
    if (argc > 1) {
        wf = weft::Workflow::load(argv[1]);
    } else {
        // 0x336699 is RGB (51, 102, 153); inverted (204, 153, 102), whose mean is 153/255 = 0.6.
        wf.add("1", "EmptyImage").set("width", 64).set("height", 32).set("batch_size", 2).set("color", 0x336699);
        wf.add("2", "ImageInvert").link("image", "1", 0);
        wf.add("3", "GetImageSize").link("image", "2", 0);
        wf.add("4", "PreviewAny").link("source", "3", 0);  // an output node: what makes the graph run
    }

    weft::RunOptions options;
    options.capture = {"*"};  // keep every node's outputs in the result, not only output nodes'
    weft::Session session(weft::builtin_registry());
    const weft::RunResult result = session.run(wf, options);
    if (!result.ok()) {
        std::fprintf(stderr, "run %s: %s\n", weft::run_status_name(result.status),
                     result.error ? result.error->exception_message.c_str()
                                  : weft::validation_to_json(result.validation).c_str());
        return 1;
    }

    int images = 0;
    for (const auto& [node_id, slots] : result.outputs) {
        for (size_t slot = 0; slot < slots.size(); ++slot) {
            if (slots[slot].empty() || !slots[slot].front().is_tensor()) continue;
            const weft::Tensor& image = result.output(node_id, slot).as_tensor();
            std::printf("node %s output %zu: %s mean %.4f\n", node_id.c_str(), slot, image.describe().c_str(),
                        mean_of(image));
            ++images;
        }
    }
    for (const auto& [node_id, ui] : result.ui)
        std::printf("node %s ui: %s\n", node_id.c_str(), weft::value_to_json(weft::Value(ui)).c_str());
    std::printf("%zu nodes ran in %.3f s, %d image outputs\n", result.executed.size(), result.total_seconds, images);
    return images > 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
