#include "demo_model_command.h"

#include "exit_codes.h"

#include <weft/demo_model.h>

#include <cstdio>
#include <filesystem>

namespace weft::cli {

void add_demo_model_command(CLI::App& app, DemoModelArgs& args) {
    args.command = app.add_subcommand("demo-model", "Write weft's small random-weight SD1 demo checkpoint, vocabulary, LoRA, ControlNet and upscaler into a models folder");
    args.command->add_option("dir", args.dir, "models folder (ComfyUI layout) to write into")->capture_default_str();
}

int demo_model_command(const DemoModelArgs& args) {
    const bool wrote = weft::ensure_demo_model(args.dir);
    const auto ckpt = std::filesystem::path(args.dir) / "checkpoints" / weft::demo_checkpoint_name();
    std::printf("%s %s\n", wrote ? "wrote" : "already present:", ckpt.string().c_str());
    const std::filesystem::path dir(args.dir);
    std::printf("with %s, %s, %s\n", (dir / "loras" / weft::demo_lora_name()).string().c_str(),
                (dir / "controlnet" / weft::demo_controlnet_name()).string().c_str(),
                (dir / "upscale_models" / weft::demo_upscale_model_name()).string().c_str());
    std::printf("note: its weights are random, so its pictures are noise. Real pictures need a real SD1.5 checkpoint\n"
                "(see README.md, \"Real pictures\").\n");
    return kExitOk;
}

}  // namespace weft::cli
