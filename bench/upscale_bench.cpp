// upscale_bench — ImageUpscaleWithModel's computation on a 512x512 picture with a RealESRGAN_x4plus
// shaped RRDBNet (23 blocks, 64 features, growth 32, 4x; random weights): wall time beside the
// GFLOP/s it reaches (2 FLOPs per multiply-accumulate of the convolutions), for fp32 and bf16.
//
//   upscale_bench [--size N] [--blocks B] [--mode f32|bf16|both] [--tile T]
//
// The picture fits one 512 tile, so this is one forward pass of the network; a larger --size goes
// through the feathered tiling (tile 512, overlap 32) as the node does.
#include "families/upscale/upscale_model.h"
#include "tensor/model_file.h"

#include <fmt/format.h>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <thread>

using namespace weft;

namespace {

/// CPU seconds this process used: on a shared machine wall time also counts other processes'
/// turns, so FLOPs per CPU-second is the steadier figure.
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void add_conv(ModelFile& f, std::mt19937& rng, const std::string& name, int64_t in, int64_t out) {
    Tensor w = Tensor::zeros({out, in, 3, 3}), b = Tensor::zeros({out});
    std::normal_distribution<float> nd(0.0f, 1.0f / std::sqrt(static_cast<float>(in * 9)));
    for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = nd(rng);
    for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = 0.01f * nd(rng);
    f.tensors[name + ".weight"] = w;
    f.tensors[name + ".bias"] = b;
}

/// RealESRGAN_x4plus's shape in the Real-ESRGAN key layout, held in memory.
std::shared_ptr<const ModelFile> random_rrdb(int64_t blocks) {
    auto f = std::make_shared<ModelFile>();
    f->path = fmt::format("(random RRDBNet, {} blocks)", blocks);
    f->format = "memory";
    std::mt19937 rng(1234);
    const int64_t nf = 64, gc = 32;
    add_conv(*f, rng, "conv_first", 3, nf);
    for (int64_t i = 0; i < blocks; ++i)
        for (int k = 1; k <= 3; ++k)
            for (int j = 1; j <= 5; ++j) add_conv(*f, rng, fmt::format("body.{}.rdb{}.conv{}", i, k, j), nf + (j - 1) * gc, j == 5 ? nf : gc);
    add_conv(*f, rng, "conv_body", nf, nf);
    add_conv(*f, rng, "conv_up1", nf, nf);
    add_conv(*f, rng, "conv_up2", nf, nf);
    add_conv(*f, rng, "conv_hr", nf, nf);
    add_conv(*f, rng, "conv_last", nf, 3);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    int64_t size = 512, blocks = 23, tile = 512;
    std::string mode = "both";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--size")) size = std::stoll(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--blocks")) blocks = std::stoll(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--mode")) mode = argv[i + 1];
        else if (!std::strcmp(argv[i], "--tile")) tile = std::stoll(argv[i + 1]);
        else {
            fmt::print(stderr, "usage: upscale_bench [--size N] [--blocks B] [--mode f32|bf16|both] [--tile T]\n");
            return 2;
        }
    }
    ops::init();
    const auto file = random_rrdb(blocks);
    std::vector<ops::Compute> modes;
    if (mode == "f32" || mode == "both") modes.push_back(ops::Compute::F32);
    if ((mode == "bf16" || mode == "both") && ops::bf16_supported()) modes.push_back(ops::Compute::BF16);
    if (mode == "bf16" && !ops::bf16_supported()) fmt::print("bf16: not supported natively on this CPU, skipped\n");

    Tensor x = Tensor::zeros({1, 3, size, size});
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);

    for (ops::Compute m : modes) {
        upscale::UpscaleModel model{file->path, "ESRGAN", nets::Esrgan::load(nets::WeightTable(file, ""), m), 0};
        const int64_t tiles = upscale::tiled_scale_steps(x.shape(), {tile, tile, 32, 4.0, 3});
        // FLOPs of the tiles actually run (overlaps are computed twice).
        double macs = 0;
        for (int64_t y0 : upscale::tile_starts(size, tile, 32))
            for (int64_t x0 : upscale::tile_starts(size, tile, 32))
                macs += model.macs(std::min(tile, size - y0), std::min(tile, size - x0));
        if (size <= tile) macs = model.macs(size, size);
        const double c0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        const Tensor y = model.upscale(x, {}, tile, 32);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double c = cpu_seconds() - c0;
        fmt::print("RRDBNet {} blocks, {}x{} -> {}x{} ({} tile{}), {}: {:.2f} s, {:.1f} GMAC, {:.1f} GFLOP/s "
                   "({:.1f} CPU-s, {:.1f} GFLOP per CPU-s, {} threads available)\n",
                   blocks, size, size, y.size(3), y.size(2), tiles, tiles == 1 ? "" : "s", ops::compute_name(m), s, macs / 1e9,
                   2 * macs / s / 1e9, c, 2 * macs / c / 1e9, std::thread::hardware_concurrency());
    }
    return 0;
}
