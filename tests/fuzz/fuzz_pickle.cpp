// libFuzzer target: the PyTorch checkpoint reader. The first input byte picks what the rest is:
//   even: a data.pkl, wrapped in a torch-style zip with four small storages ("0".."3");
//   odd:  a whole file (exercises the zip central-directory parser too).
// Any weft::Error is an accepted outcome; a crash, sanitizer report or other exception is a bug.
#include <weft/error.h>

#include "pickle_zip_writer.h"
#include "tensor/pickle_checkpoint.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string bytes;
    if (data[0] % 2 == 0) {
        std::vector<std::pair<std::string, std::string>> entries{{"archive/data.pkl", rest}};
        for (int k = 0; k < 4; ++k)
            entries.emplace_back("archive/data/" + std::to_string(k), std::string(size_t{64} << k, static_cast<char>(k)));
        bytes = weft::test::stored_zip(entries);
    } else {
        bytes = rest;
    }
    const auto* b = reinterpret_cast<const std::byte*>(bytes.data());
    auto file = weft::MappedFile::from_bytes(std::vector<std::byte>(b, b + bytes.size()), "fuzz.ckpt");
    try {
        const weft::PickleCheckpoint ck = weft::read_pickle_checkpoint(file);
        for (const auto& [name, t] : ck.tensors)
            if (t.numel() <= (1 << 16)) (void)t.to(weft::DType::F32);
    } catch (const weft::Error&) {
    }
    return 0;
}
