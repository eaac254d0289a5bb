// video_encode_bench — frames per second for encoding IMAGE batches to video. Prints figures;
// asserts nothing.
//
//   video_encode_bench [frames=96] [threads=2] [size=512] [--all]
// Encodes `frames` frames of size x size to MP4/H.264 at SaveVideo's defaults (x264 preset medium,
// crf 23) with the encoder limited to `threads`; --all also times WebM/VP9 (crf 32, SaveWEBM's
// default), animated WebP (lossy q80, method 4) and APNG (level 4).
#include "media/animated_webp.h"
#include "media/apng.h"
#include "media/video_encode.h"

#include <weft/tensor.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

// Moving gradients and a moving bar: content an encoder must actually work on.
weft::Tensor frames(int64_t n, int64_t size) {
    weft::Tensor t = weft::Tensor::zeros({n, size, size, 3});
    float* d = t.data<float>();
    for (int64_t f = 0; f < n; ++f)
        for (int64_t y = 0; y < size; ++y)
            for (int64_t x = 0; x < size; ++x) {
                float* p = d + ((f * size + y) * size + x) * 3;
                p[0] = 0.5f + 0.45f * std::sin(0.03f * float(x) + 0.2f * float(f));
                p[1] = 0.5f + 0.45f * std::cos(0.025f * float(y) - 0.15f * float(f));
                p[2] = std::abs(x - (f * 7) % size) < 12 ? 0.95f : 0.1f + 0.5f * float((x ^ y) & 63) / 63.0f;
            }
    return t;
}

void time_it(const char* what, int64_t n, const fs::path& file, const std::function<void()>& encode) {
    const auto t0 = std::chrono::steady_clock::now();
    encode();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-34s %6.1f frames/s  (%lld frames in %.2f s, %.1f KiB)\n", what, double(n) / s, static_cast<long long>(n), s,
                double(fs::file_size(file)) / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
    bool all = false;
    std::vector<long> nums;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--all") all = true;
        else nums.push_back(std::strtol(argv[i], nullptr, 10));
    }
    const int64_t n = nums.size() > 0 ? nums[0] : 96;
    const int threads = nums.size() > 1 ? int(nums[1]) : 2;
    const int64_t size = nums.size() > 2 ? nums[2] : 512;
    const weft::Tensor images = frames(n, size);
    const fs::path dir = fs::temp_directory_path() / ("weft_video_bench_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::printf("%lld frames of %lldx%lld, %d encoder threads\n", static_cast<long long>(n), static_cast<long long>(size),
                static_cast<long long>(size), threads);

    weft::media::VideoEncodeOptions mp4;
    mp4.fps = 24;
    mp4.threads = threads;
    time_it("MP4 / H.264 (x264 medium, crf 23)", n, dir / "b.mp4", [&] { weft::media::encode_video(dir / "b.mp4", images, mp4); });
    if (all) {
        weft::media::VideoEncodeOptions webm;
        webm.container = "webm";
        webm.codec = "vp9";
        webm.crf = 32;
        webm.threads = threads;
        time_it("WebM / VP9 (crf 32)", n, dir / "b.webm", [&] { weft::media::encode_video(dir / "b.webm", images, webm); });
        weft::media::AnimatedWebpOptions wo;
        wo.lossless = false;
        time_it("animated WebP (lossy q80, method 4)", n, dir / "b.webp", [&] { weft::media::write_animated_webp(dir / "b.webp", images, wo); });
        weft::media::ApngOptions po;
        time_it("APNG (level 4)", n, dir / "b.png", [&] { weft::media::write_apng(dir / "b.png", images, po); });
    }
    fs::remove_all(dir);
    return 0;
}
