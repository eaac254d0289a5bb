// workflows/txt2img_lora_controlnet_upscale.json end to end through the CLI, on the files
// `weft demo-model` writes: checkpoint + LoRA + ControlNet + 2x ESRGAN. The LoRA, the ControlNet
// and the upscaler must each change the picture.
#include "cli_test_util.h"
#include "media/png_io.h"

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace weft::testing;

namespace {

class LoraControlNetUpscale : public CliTest {
protected:
    fs::path models() const { return dir / "models"; }

    /// The shipped workflow, shrunk to a 64x48 picture (8x6 latent, 64x48 hint) and 2 steps to stay fast.
    nlohmann::json shipped() const {
        nlohmann::json wf = nlohmann::json::parse(read_text_file(source_dir() / "workflows" / "txt2img_lora_controlnet_upscale.json"));
        for (const char* id : {"5", "12"}) {
            wf[id]["inputs"]["width"] = 64;
            wf[id]["inputs"]["height"] = 48;
        }
        wf["3"]["inputs"]["steps"] = 2;
        return wf;
    }

    /// Runs the workflows in one `weft run`; returns the saved pictures in order.
    std::vector<weft::media::PngImage> run(const std::vector<nlohmann::json>& wfs) {
        std::vector<std::string> args = {"run"};
        for (size_t i = 0; i < wfs.size(); ++i) args.push_back(workflow("wf" + std::to_string(i) + ".json", wfs[i]));
        for (const std::string& a : {std::string("--models"), models().string(), std::string("--output-dir"), (dir / "out").string(),
                                     std::string("--json")})
            args.push_back(a);
        const ProcessResult r = weft(args);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        std::vector<weft::media::PngImage> pngs;
        for (const nlohmann::json& line : json_lines(r.out)) {
            EXPECT_EQ(line["status"], "success") << line.dump(2);
            if (line["status"] != "success") continue;
            pngs.push_back(weft::media::read_png(line["outputs"]["9"]["images"][0]["path"].get<std::string>()));
        }
        return pngs;
    }
};

int max_difference(const weft::media::PngImage& a, const weft::media::PngImage& b) {
    int worst = 0;
    for (size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i) worst = std::max(worst, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
    return worst;
}

}  // namespace

TEST_F(LoraControlNetUpscale, DemoFilesRunTheCombinedWorkflow) {
    const ProcessResult made = weft({"demo-model", models().string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    for (const char* f : {"checkpoints/weft_demo_sd1.safetensors", "loras/weft_demo_lora.safetensors",
                          "controlnet/weft_demo_controlnet.safetensors", "upscale_models/weft_demo_esrgan_x2.safetensors"})
        ASSERT_TRUE(fs::exists(models() / f)) << f;

    const nlohmann::json base = shipped();
    nlohmann::json no_lora = base, no_control = base;
    no_lora["10"]["inputs"]["strength_model"] = 0.0;
    no_lora["10"]["inputs"]["strength_clip"] = 0.0;
    no_control["13"]["inputs"]["strength"] = 0.0;
    const auto pngs = run({base, no_lora, no_control});
    ASSERT_EQ(pngs.size(), 3u);
    // The decoded 64x48 picture through the 2x upscaler.
    EXPECT_EQ(pngs[0].width, 128);
    EXPECT_EQ(pngs[0].height, 96);
    EXPECT_EQ(pngs[0].channels, 3);
    EXPECT_GT(max_difference(pngs[0], pngs[1]), 0) << "the LoRA changes the picture";
    EXPECT_GT(max_difference(pngs[0], pngs[2]), 0) << "the ControlNet changes the picture";
}
