// libFuzzer target: the safetensors reader on arbitrary bytes. Any weft::Error is an accepted
// outcome; a crash, sanitizer report or other exception is a bug.
#include <weft/error.h>

#include "tensor/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto* b = reinterpret_cast<const std::byte*>(data);
    auto file = weft::MappedFile::from_bytes(std::vector<std::byte>(b, b + size), "fuzz.safetensors");
    try {
        weft::SafetensorsFile f(file);
        for (const auto& e : f.entries()) {
            if (!e.dtype) continue;
            const weft::Tensor t = f.tensor(e);
            // Touch the data through a conversion, as a loader would (small tensors only).
            if (t.numel() <= (1 << 16)) (void)t.to(weft::DType::F32);
        }
    } catch (const weft::Error&) {
    }
    return 0;
}
