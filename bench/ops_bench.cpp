// ops_bench — GFLOP/s of weft::ops conv2d, linear and attention at SD1.5 UNet and VAE shapes,
// next to the oneDNN GEMM peak measured in the same run (4096x1280x320 with pre-packed weights,
// the kernel alone), for fp32 and bf16 compute.
//
//   ops_bench [--mode f32|bf16|both] [--quick] [--min-time SECONDS] [--only SUBSTRING]
//
// Each figure is the best of repeated calls after one warm-up call (which also builds and caches
// the primitives). "of peak" divides by the GEMM peak re-measured right after that case, so slow
// drifts in machine load (shared machine) hit both figures alike. "foreign" is the CPU other processes used during the measurement, in cores
// (from /proc/stat minus this process's own CPU time): figures taken with foreign > 0.1 are noisy.
#include "tensor/ops/ops.h"
#include "gemm_peak.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace weft;
using namespace weft::bench;
using ops::Compute;

namespace {

Tensor random(const Shape& shape, uint32_t seed) {
    Tensor t = Tensor::zeros(shape);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(gen);
    return t;
}

struct Row {
    std::string group, what;
    double gflop, seconds, gflops, peak, ratio, foreign;
};

void print_row(const Row& r) {
    fmt::print("{:<10} {:<44} {:>9.2f} {:>9.2f} {:>9.1f} {:>9.1f} {:>7.0f}% {:>8.2f}\n", r.group, r.what, r.gflop,
               r.seconds * 1e3, r.gflops, r.peak, r.ratio * 100.0, r.foreign);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<Compute> modes{Compute::F32, Compute::BF16};
    bool quick = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") quick = true;
        else if (a == "--mode" && i + 1 < argc) {
            const std::string m = argv[++i];
            modes = m == "f32" ? std::vector{Compute::F32} : m == "bf16" ? std::vector{Compute::BF16} : modes;
        } else if (a == "--min-time" && i + 1 < argc) g_min_time = std::stod(argv[++i]);
        else if (a == "--only" && i + 1 < argc) only = argv[++i];
        else {
            fmt::print("usage: ops_bench [--mode f32|bf16|both] [--quick] [--min-time SECONDS] [--only SUBSTRING]\n");
            return 2;
        }
    }
    auto selected = [&](const std::string& what) { return only.empty() || what.find(only) != std::string::npos; };
    ops::init();
    fmt::print("threads (OpenMP) {}, bf16 native: {}, oneDNN ISA {}\n", omp_get_max_threads(), ops::bf16_supported(),
               int(dnnl::get_effective_cpu_isa()));
    if (!ops::bf16_supported()) std::erase(modes, Compute::BF16);

    struct Conv {
        std::string what;
        int64_t cin, cout, hw, k, stride, pad;
        bool heavy;  // skipped with --quick
    };
    const std::vector<Conv> convs = {
        {"UNet conv3x3 320->320 @64x64", 320, 320, 64, 3, 1, 1, false},
        {"UNet conv3x3 640->320 @64x64 (skip cat)", 640, 320, 64, 3, 1, 1, true},
        {"UNet conv3x3 640->640 @32x32", 640, 640, 32, 3, 1, 1, false},
        {"UNet conv3x3 1280->1280 @16x16", 1280, 1280, 16, 3, 1, 1, false},
        {"UNet conv3x3 1280->1280 @8x8", 1280, 1280, 8, 3, 1, 1, false},
        {"UNet conv3x3 s2 320 @64->32", 320, 320, 64, 3, 2, 1, true},
        {"UNet conv_in 4->320 @64x64", 4, 320, 64, 3, 1, 1, true},
        {"UNet proj_in 1x1 320->320 @64x64", 320, 320, 64, 1, 1, 0, true},
        {"VAE conv3x3 512->512 @64x64", 512, 512, 64, 3, 1, 1, false},
        {"VAE conv3x3 512->512 @128x128", 512, 512, 128, 3, 1, 1, true},
        {"VAE conv3x3 256->256 @256x256", 256, 256, 256, 3, 1, 1, false},
        {"VAE conv3x3 128->128 @512x512", 128, 128, 512, 3, 1, 1, true},
        {"VAE conv_out 128->3 @512x512", 128, 3, 512, 3, 1, 1, true},
    };
    struct Lin {
        std::string what;
        int64_t m, in, out;
        bool heavy;
    };
    const std::vector<Lin> lins = {
        {"UNet q/k/v/out 4096x320->320", 4096, 320, 320, false},
        {"UNet GEGLU proj 4096x320->2560", 4096, 320, 2560, false},
        {"UNet FF out 4096x1280->320", 4096, 1280, 320, false},
        {"UNet q 1024x640->640", 1024, 640, 640, true},
        {"UNet GEGLU proj 256x1280->10240", 256, 1280, 10240, true},
        {"UNet cross k/v 77x768->320", 77, 768, 320, true},
    };
    struct Attn {
        std::string what;
        int64_t heads, tq, tk, d;
        bool heavy;
    };
    const std::vector<Attn> attns = {
        {"UNet self-attn 8x4096x4096 d40", 8, 4096, 4096, 40, false},
        {"UNet cross-attn 8x4096x77 d40", 8, 4096, 77, 40, false},
        {"UNet self-attn 8x1024x1024 d80", 8, 1024, 1024, 80, true},
        {"VAE mid attn 1x4096x4096 d512", 1, 4096, 4096, 512, true},
    };

    for (Compute mode : modes) {
        double f1 = 0, f2 = 0;
        GemmPeak ref(4096, 1280, 320, mode);
        const double peak = ref.measure(1.0, &f1);
        const double square = GemmPeak(2048, 2048, 2048, mode).measure(1.0, &f2);
        fmt::print("\n== {} ==  oneDNN GEMM peak 4096x1280x320 (packed, kernel only): {:.1f} GFLOP/s (foreign {:.2f});"
                   " 2048^3: {:.1f} GFLOP/s\n",
                   ops::compute_name(mode), peak, f1, square, f2);
        fmt::print("{:<10} {:<44} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}\n", "op", "shape", "GFLOP", "ms", "GFLOP/s",
                   "peak now", "of peak", "foreign");
        // Peak re-measured right after each case; the ratio uses it.
        auto report = [&](const char* group, const std::string& what, double gflop, const Timing& t) {
            const double now = ref.measure(0.15);
            print_row({group, what, gflop, t.best, gflop / t.best, now, gflop / t.best / now, t.foreign});
        };
        for (const Conv& c : convs) {
            if ((quick && c.heavy) || !selected(c.what)) continue;
            ops::Conv2dParams p;
            p.stride = {c.stride, c.stride};
            p.padding = {c.pad, c.pad};
            ops::PackedConv2d conv(random({c.cout, c.cin, c.k, c.k}, 1), random({c.cout}, 2), p, mode);
            Tensor x = random({1, c.cin, c.hw, c.hw}, 3);
            const int64_t o = ops::conv_out_size(c.hw, c.k, c.stride, c.pad, 1);
            const double gflop = 2.0 * double(c.cout * c.cin * c.k * c.k) * double(o * o) / 1e9;
            Timing t = time_it([&] { (void)conv(x); });
            report("conv2d", c.what, gflop, t);
        }
        for (const Lin& l : lins) {
            if ((quick && l.heavy) || !selected(l.what)) continue;
            ops::PackedLinear fc(random({l.out, l.in}, 4), random({l.out}, 5), mode);
            Tensor x = random({1, l.m, l.in}, 6);
            const double gflop = 2.0 * double(l.m) * double(l.in) * double(l.out) / 1e9;
            Timing t = time_it([&] { (void)fc(x); });
            report("linear", l.what, gflop, t);
        }
        for (const Attn& a : attns) {
            if ((quick && a.heavy) || !selected(a.what)) continue;
            // Heads as a strided view of [1, T, H·d] projections, as the UNet produces them.
            Tensor q = random({1, a.tq, a.heads, a.d}, 7).permute({0, 2, 1, 3});
            Tensor k = random({1, a.tk, a.heads, a.d}, 8).permute({0, 2, 1, 3});
            Tensor v = random({1, a.tk, a.heads, a.d}, 9).permute({0, 2, 1, 3});
            const double gflop = 4.0 * double(a.heads) * double(a.tq) * double(a.tk) * double(a.d) / 1e9;
            Timing t = time_it([&] { (void)ops::attention(q, k, v, {}, mode); });
            report("attention", a.what, gflop, t);
        }
    }
    if (!quick && only.empty()) {
        // Memory-bound ops: GB/s of (input + output) bytes at UNet 64x64 / VAE 256x256 sizes.
        fmt::print("\n== memory-bound ops (F32) ==\n{:<44} {:>9} {:>9} {:>8}\n", "op", "ms", "GB/s", "foreign");
        Tensor x = random({1, 320, 64, 64}, 10), big = random({1, 256, 256, 256}, 11), bias = random({1, 320, 1, 1}, 12);
        Tensor w = random({320}, 13), b = random({320}, 14), tok = random({1, 4096, 320}, 15), ff = random({1, 4096, 2560}, 16);
        Tensor s = random({8, 512, 4096}, 17), w256 = random({256}, 18);
        auto mem = [&](const std::string& what, double bytes, const std::function<void()>& f) {
            Timing t = time_it(f);
            fmt::print("{:<44} {:>9.2f} {:>9.1f} {:>8.2f}\n", what, t.best * 1e3, bytes / t.best / 1e9, t.foreign);
            std::fflush(stdout);
        };
        const double xb = double(x.nbytes());
        mem("silu [1,320,64,64]", 2 * xb, [&] { (void)ops::silu(x); });
        mem("add bias [1,320,64,64] + [1,320,1,1]", 2 * xb, [&] { (void)ops::add(x, bias); });
        mem("add [1,320,64,64] + same", 3 * xb, [&] { (void)ops::add(x, x); });
        mem("group_norm 32 [1,320,64,64]", 2 * xb, [&] { (void)ops::group_norm(x, 32, w, b, 1e-5f); });
        mem("group_norm 32 [1,256,256,256]", 2 * double(big.nbytes()),
            [&] { (void)ops::group_norm(big, 32, w256, w256, 1e-6f); });
        {
            // The VAE decoder's fused norm: statistics, then bands of 32 rows, NCHW and channels-last.
            Tensor big_cl = big.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2});
            for (const Tensor* t : {&big, &big_cl}) {
                const bool cl = t == &big_cl;
                mem(std::string("group_norm_silu rows 32 [1,256,256,256] ") + (cl ? "NHWC" : "NCHW"), 2 * double(big.nbytes()), [&] {
                    const ops::GroupNormRows rows(*t, 32, w256, w256, 1e-6f, true);
                    for (int64_t r = 0; r < 256; r += 32) {
                        Tensor band = cl ? Tensor::zeros({1, 32, 256, 256}).permute({0, 3, 1, 2}) : Tensor::zeros({1, 256, 32, 256});
                        rows(r, r + 32, band);
                    }
                });
                mem(std::string("add residual [1,256,256,256] ") + (cl ? "NHWC" : "NCHW"), 3 * double(big.nbytes()),
                    [&] { (void)ops::add(*t, *t, DType::F32); });
            }
        }
        mem("layer_norm [1,4096,320]", 2 * double(tok.nbytes()), [&] { (void)ops::layer_norm(tok, w, b, 1e-5f); });
        mem("geglu [1,4096,2560]", 1.5 * double(ff.nbytes()), [&] { (void)ops::geglu(ff); });
        mem("gelu erf [1,4096,2560]", 2 * double(ff.nbytes()), [&] { (void)ops::gelu(ff); });
        mem("softmax [8,512,4096]", 2 * double(s.nbytes()), [&] { (void)ops::softmax(s); });
        mem("upsample_nearest x2 [1,320,64,64]", 5 * xb, [&] { (void)ops::upsample_nearest(x, 128, 128); });
        mem("concat dim1 2x[1,320,64,64]", 4 * xb, [&] { (void)ops::concat({x, x}, 1); });
    }
    return 0;
}
