// lora_bench — applying a LoRA to an SD1.5-size UNet + CLIP: time to apply it at a new strength and
// the peak RSS that adds, against the loaded model's size. Prints figures; asserts nothing.
//
//   lora_bench [CHECKPOINT] [--rank R] [--bf16] [--forward]
//
// Without CHECKPOINT, the full-size random SD1.5 checkpoint is generated once into the bench's own
// folder ($TMPDIR/weft_lora_bench/, ~2.1 GB) by $WEFT_SHARED_DIR/tools/make_sd15_checkpoint.py.
// The LoRA is made in memory: kohya rank R (default 32) on every UNet attention, feed-forward and
// proj_in/proj_out layer and every CLIP linear, as typical SD1.5 LoRAs are. Times are wall clock
// and process CPU time (the CPU figure is the honest one on a machine shared with other work).
// --forward also times one UNet step (64x64 latent) with and without the LoRA.
#include "families/sd1/lora_apply.h"
#include "families/sd1/lora_keys.h"
#include "families/sd1/sd1_family.h"

#include <weft/error.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <sys/resource.h>

namespace fs = std::filesystem;
using namespace weft;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// User + system CPU seconds of this process so far.
double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/// A /proc/self/status field in bytes (VmRSS, VmHWM).
size_t status_bytes(const char* field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(field, 0) == 0) return std::strtoull(line.c_str() + std::strlen(field) + 1, nullptr, 10) * 1024;
    return 0;
}

/// Resets the peak RSS (VmHWM) to the current RSS, so the next peak is this step's.
void reset_peak() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
}

double mib(size_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

std::string generate() {
    const char* env = std::getenv("WEFT_SHARED_DIR");
    const fs::path shared = env ? fs::path(env) : fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
    const fs::path tool = shared / "tools" / "make_sd15_checkpoint.py";
    const fs::path dir = fs::temp_directory_path() / "weft_lora_bench";
    const fs::path out = dir / "sd15_full_seed1234.safetensors";
    if (fs::exists(out)) return out.string();
    if (!fs::exists(tool)) {
        std::fprintf(stderr, "generator not found: %s (pass a checkpoint instead)\n", tool.c_str());
        std::exit(2);
    }
    fs::create_directories(dir);
    const std::string part = out.string() + ".part";
    const std::string cmd = "/usr/bin/python3 '" + tool.string() + "' --preset full --seed 1234 --out '" + part + "'";
    std::printf("generating %s (needs python3-numpy) ...\n", out.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "generation failed: %s\n", cmd.c_str());
        std::exit(2);
    }
    fs::rename(part, out);
    std::printf("generated in %.1f s\n", seconds_since(t0));
    return out.string();
}

Tensor randn(const Shape& shape, float stddev, std::mt19937& gen) {
    std::normal_distribution<float> dist(0.0f, stddev);
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& x : v) x = dist(gen);
    return Tensor::from_vector(shape, v).to(DType::F16);
}

bool lora_target(const std::string& key) {
    for (const char* part : {"attn1.", "attn2.", "ff.net.", "proj_in", "proj_out", "self_attn.", "mlp."})
        if (key.find(part) != std::string::npos) return true;
    return false;
}

/// A kohya LoRA of rank `rank` on the typical layers, as the file would hold it (F16).
lora::LoraFile make_lora(const models::DiffusionModel& model, const models::TextEncoder& clip, int64_t rank, size_t& file_bytes) {
    std::map<std::string, Tensor> tensors;
    std::mt19937 gen(7);
    auto add = [&](const std::string& name, int64_t in, int64_t out) {
        tensors[name + ".lora_down.weight"] = randn({rank, in}, 0.05f, gen);
        tensors[name + ".lora_up.weight"] = randn({out, rank}, 0.05f, gen);
        tensors[name + ".alpha"] = Tensor::full({}, static_cast<float>(rank) / 2);
    };
    nets::UNet unet = model.unet;
    unet.visit_layers({[&](const std::string& k, nets::Linear& l) {
                           if (lora_target(k)) add("lora_unet_" + [&] { std::string s = k; std::replace(s.begin(), s.end(), '.', '_'); return s; }(),
                                                   l.fc.in_features(), l.fc.out_features());
                       },
                       {}});
    nets::ClipText text = *clip.net;
    text.visit_layers({[&](const std::string& k, nets::Linear& l) {
                           std::string s = "text_model." + k;
                           std::replace(s.begin(), s.end(), '.', '_');
                           add("lora_te_" + s, l.fc.in_features(), l.fc.out_features());
                       },
                       {}});
    file_bytes = 0;
    for (const auto& [name, t] : tensors) file_bytes += t.nbytes();
    return lora::group_lora_tensors(tensors, "<bench lora rank " + std::to_string(rank) + ">");
}

}  // namespace

int main(int argc, char** argv) {
    std::string path;
    int64_t rank = 32;
    ops::Compute mode = ops::Compute::F32;
    bool forward = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rank" && i + 1 < argc) rank = std::atoll(argv[++i]);
        else if (a == "--bf16") mode = ops::Compute::BF16;
        else if (a == "--forward") forward = true;
        else path = a;
    }
    if (path.empty()) path = generate();
    try {
        ops::init();
        const size_t rss0 = status_bytes("VmRSS:");
        auto t0 = std::chrono::steady_clock::now();
        auto model = models::load_diffusion_model(path, mode);
        auto clip = models::load_text_encoder(models::sd1_family(), path, nullptr, mode);
        const double load_s = seconds_since(t0);
        const size_t model_rss = status_bytes("VmRSS:") - rss0;
        std::printf("loaded UNet + CLIP (%s) in %.1f s: %.0f MiB resident (file %.0f MiB)\n", ops::compute_name(mode), load_s, mib(model_rss),
                    mib(model->bytes + clip->bytes));

        size_t lora_file_bytes = 0;
        const lora::LoraFile lora = make_lora(*model, *clip, rank, lora_file_bytes);
        std::printf("LoRA: %s, %.1f MiB as F16\n", lora.summary().c_str(), mib(lora_file_bytes));

        lora::PatchedModels kept;
        for (float strength : {1.0f, 0.7f, -0.35f}) {
            const size_t before = status_bytes("VmRSS:");
            reset_peak();
            t0 = std::chrono::steady_clock::now();
            const double c0 = cpu_seconds();
            lora::PatchedModels p = lora::apply_lora(model, clip, lora, strength, strength);
            const double s = seconds_since(t0), cpu = cpu_seconds() - c0;
            const size_t peak = status_bytes("VmHWM:");
            const size_t added = peak > before ? peak - before : 0;
            std::printf("apply at strength %+.2f: %.3f s wall, %.3f s CPU, peak RSS +%.1f MiB (%.2f %% of the loaded model), adapters %.1f MiB, %zu UNet + %zu CLIP modules\n",
                        strength, s, cpu, mib(added), 100.0 * static_cast<double>(added) / static_cast<double>(model_rss), mib(p.report.adapter_bytes),
                        p.report.applied_unet, p.report.applied_clip);
            kept = std::move(p);  // the previous strength's copy is dropped, as a cache replacing it would
        }

        if (!forward) return 0;
        // What the adapters cost in a denoising step (64x64 latent = a 512x512 image).
        const Tensor x = Tensor::full({1, 4, 64, 64}, 0.1f), ts = Tensor::full({1}, 500.0f), ctx = Tensor::full({1, 77, 768}, 0.01f);
        for (const auto& [label, m] : {std::pair{"base", model}, std::pair{"with LoRA", kept.model}}) {
            m->unet.forward(x, ts, ctx);  // warm-up: primitives for these shapes
            t0 = std::chrono::steady_clock::now();
            m->unet.forward(x, ts, ctx);
            std::printf("UNet forward 64x64 latent, %s: %.2f s\n", label, seconds_since(t0));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
