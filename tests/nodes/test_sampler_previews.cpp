// Sampler previews through a real session on weft's demo checkpoint: with RunOptions::previews,
// every sampling node publishes one Latent2RGB preview per step (the step's denoised prediction);
// without it, none, and the results do not change.
#include "demo_txt2img.h"
#include "sampling/latent_preview.h"

#include <weft/weft.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <unistd.h>
#include <filesystem>

using namespace weft;
namespace fs = std::filesystem;

namespace {

struct PreviewRun {
    RunResult result;
    std::vector<Event> previews;
    size_t progress_events = 0;
};

PreviewRun run_prompt(const nlohmann::json& prompt, bool previews) {
    static std::atomic<int> counter{0};
    const fs::path tmp = fs::temp_directory_path() / ("weft-preview-nodes-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    SessionOptions so;
    so.folders.models = {weft::testing::demo_models_root()};
    so.folders.output = tmp / "output";
    so.folders.temp = tmp / "temp";
    so.folders.input = tmp / "input";
    so.threads = 2;
    Session session(builtin_registry(), so);
    RunOptions ro;
    ro.previews = previews;
    ro.capture = {"3"};
    PreviewRun run;
    run.result = session.run(Workflow::parse(prompt.dump()), ro, [&](const Event& e) {
        if (e.type == EventType::Preview) run.previews.push_back(e);
        if (e.type == EventType::Progress && e.node_id == "3") ++run.progress_events;
    });
    std::error_code ec;
    fs::remove_all(tmp, ec);
    return run;
}

int max_diff(const Tensor& a, const Tensor& b) {
    int m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(int(a.data<uint8_t>()[i]) - int(b.data<uint8_t>()[i])));
    return m;
}

class SamplerPreviews : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(SamplerPreviews, OnePreviewPerStepOfTheDenoisedLatent) {
    const int steps = 3;
    const PreviewRun run = run_prompt(weft::testing::demo_txt2img_prompt(GetParam(), 64, 48, steps), true);
    ASSERT_TRUE(run.result.ok()) << (run.result.error ? run.result.error->exception_message : "invalid");
    ASSERT_EQ(run.previews.size(), size_t(steps));
    EXPECT_EQ(run.progress_events, size_t(steps));
    for (const Event& e : run.previews) {
        EXPECT_EQ(e.node_id, "3");
        EXPECT_EQ(e.node_type, GetParam());
        EXPECT_FALSE(e.prompt_id.empty());
        ASSERT_EQ(e.image.dtype(), DType::U8);
        EXPECT_EQ(e.image.shape(), (Shape{6, 8, 3}));  // the latent's size: 48/8 x 64/8
    }
    // Euler's last step lands on sigma 0, so the sampled latent (raw scale) is the last denoised
    // prediction divided by the SD1 scale: its preview is the last one published.
    const Tensor samples = run.result.output("3").as_latent().samples.to(DType::F32).contiguous();
    Tensor model_space = Tensor::zeros(samples.shape());
    for (int64_t i = 0; i < samples.numel(); ++i) model_space.data<float>()[i] = samples.data<float>()[i] * 0.18215f;
    EXPECT_LE(max_diff(run.previews.back().image, models::latent_preview_rgb(model_space)), 1);
    // Earlier steps show earlier (noisier) predictions.
    EXPECT_GT(max_diff(run.previews.front().image, run.previews.back().image), 0);
}

INSTANTIATE_TEST_SUITE_P(AllSamplingNodes, SamplerPreviews,
                         ::testing::Values("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced"));

TEST(SamplerPreviewsOff, NoPreviewsByDefaultAndTheSameResult) {
    const auto prompt = weft::testing::demo_txt2img_prompt("KSampler", 64, 48, 2);
    const PreviewRun off = run_prompt(prompt, false), on = run_prompt(prompt, true);
    ASSERT_TRUE(off.result.ok());
    ASSERT_TRUE(on.result.ok());
    EXPECT_TRUE(off.previews.empty());
    EXPECT_EQ(on.previews.size(), 2u);
    EXPECT_EQ(RunOptions{}.previews, false);
    const Tensor a = off.result.output("3").as_latent().samples.contiguous(), b = on.result.output("3").as_latent().samples.contiguous();
    ASSERT_EQ(a.numel(), b.numel());
    for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]);
}
