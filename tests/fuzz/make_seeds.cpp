// Writes seed inputs for the fuzz targets: valid files of each kind, so the fuzzers start from
// the interesting structure instead of random bytes.  usage: fuzz_make_seeds SAFETENSORS_DIR PICKLE_DIR
#include <weft/tensor.h>

#include "pickle_zip_writer.h"
#include "tensor/safetensors.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s SAFETENSORS_DIR PICKLE_DIR\n", argv[0]);
        return 2;
    }
    const fs::path st = argv[1], pk = argv[2];
    fs::create_directories(st);
    fs::create_directories(pk);

    using weft::DType;
    using weft::Tensor;
    const Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
    weft::write_safetensors((st / "mixed.safetensors").string(),
                            {{"a", a}, {"h", a.to(DType::F16)}, {"b", a.to(DType::BF16)}, {"e", a.to(DType::F8_E4M3)},
                             {"i", a.to(DType::I64)}, {"s", Tensor::full({}, 2.0f)}, {"z", Tensor::zeros({0, 3})}},
                            {{"format", "pt"}});
    weft::write_safetensors((st / "one.safetensors").string(), {{"w", Tensor::zeros({4}, DType::F16)}});

    using weft::test::FakeTensor;
    const std::vector<FakeTensor> ts = {
        {"model.w", "FloatStorage", "0", 16, 0, {4, 4}, {4, 1}},
        {"model.t", "FloatStorage", "0", 16, 2, {2, 3}, {1, 4}, true},
        {"model.h", "HalfStorage", "1", 32, 0, {32}, {1}},
        {"model.l", "LongStorage", "2", 8, 0, {}, {}},
        {"model.b", "BFloat16Storage", "3", 64, 0, {2, 2, 2, 2}, {8, 4, 2, 1}},
    };
    for (bool wrap : {true, false}) {
        const std::string pkl = weft::test::torch_state_dict_pickle(ts, wrap);
        // Even first byte: the rest is a data.pkl.
        std::ofstream((pk / (wrap ? "pkl_wrapped" : "pkl_bare")), std::ios::binary) << '\0' << pkl;
        // Odd first byte: the rest is a whole checkpoint file.
        std::vector<std::pair<std::string, std::string>> entries{{"archive/data.pkl", pkl}};
        for (int k = 0; k < 4; ++k)
            entries.emplace_back("archive/data/" + std::to_string(k), std::string(size_t{64} << k, '\x01'));
        entries.emplace_back("archive/version", "3\n");
        std::ofstream((pk / (wrap ? "zip_wrapped" : "zip_bare64")), std::ios::binary)
            << '\x01' << weft::test::stored_zip(entries, !wrap);
    }
    return 0;
}
