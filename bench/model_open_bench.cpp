// model_open_bench — how long opening a model file takes (headers only), cold and warm, and how
// long converting every tensor to F32 then takes. Prints figures; asserts nothing.
//
//   model_open_bench FILE            measure FILE (.safetensors or torch .ckpt)
//   model_open_bench --tiny          generate (once) the SD1.5-shaped tiny preset in /tmp, measure it
//   model_open_bench --full          the same with the full preset (~2.1 GB in /tmp; slow to generate)
// The generator is $WEFT_SHARED_DIR/tools/make_sd15_checkpoint.py (default: ../shared next to the repo).
#include <weft/tensor.h>

#include "tensor/model_file.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool evict(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    const bool ok = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    ::close(fd);
    return ok;
}

std::string generate(const std::string& preset) {
    // The shared folder sits next to the repository (or where $WEFT_SHARED_DIR says).
    const char* env = std::getenv("WEFT_SHARED_DIR");
    const fs::path shared = env ? fs::path(env) : fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
    const std::string tool = (shared / "tools" / "make_sd15_checkpoint.py").string();
    const std::string out = "/tmp/weft_sd15_" + preset + "_seed1234.safetensors";
    if (fs::exists(out)) return out;
    if (!fs::exists(tool)) {
        std::fprintf(stderr, "generator not found: %s\n", tool.c_str());
        std::exit(2);
    }
    const std::string tmp = out + ".partial";
    const std::string cmd = "/usr/bin/python3 '" + tool + "' --preset " + preset + " --seed 1234 --out '" + tmp + "'";
    std::printf("generating %s (needs python3-numpy) ...\n", out.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "generation failed: %s\n", cmd.c_str());
        std::exit(2);
    }
    fs::rename(tmp, out);
    std::printf("generated in %.1f s\n", ms_since(t0) / 1000);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE | --tiny | --full\n", argv[0]);
        return 2;
    }
    std::string path = argv[1];
    if (path == "--tiny") path = generate("tiny");
    if (path == "--full") path = generate("full");
    const double gb = static_cast<double>(fs::file_size(path)) / 1e9;
    std::printf("file: %s (%.3f GB)\n", path.c_str(), gb);

    const bool cold = evict(path);
    auto t0 = std::chrono::steady_clock::now();
    weft::ModelFile m = weft::open_model_file(path);
    const double first = ms_since(t0);
    std::printf("open (%s page cache): %.2f ms, %zu tensors, format %s\n", cold ? "evicted" : "unknown",
                first, m.tensors.size(), m.format.c_str());

    constexpr int reps = 5;
    t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) weft::ModelFile again = weft::open_model_file(path);
    std::printf("open (warm): %.2f ms\n", ms_since(t0) / reps);

    size_t bytes = 0;
    t0 = std::chrono::steady_clock::now();
    for (const auto& [name, t] : m.tensors) {
        const weft::Tensor f = t.to(weft::DType::F32);
        bytes += t.nbytes();
    }
    const double conv = ms_since(t0);
    std::printf("convert every tensor to F32 (first touch of the data): %.1f ms, %.2f GB/s of file data\n", conv,
                static_cast<double>(bytes) / 1e6 / conv);
    return 0;
}
