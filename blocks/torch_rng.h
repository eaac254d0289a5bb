// blocks/torch_rng.h — a bit-exact emulation of PyTorch's CPU random generator (mt19937 + randn).
//
// ComfyUI draws its starting noise (and the ancestral samplers' step noise) from torch's CPU
// generator, so reproducing its images needs the same numbers, bit for bit:
//
//   weft::models::TorchGenerator g(42);            // torch.manual_seed(42)
//   weft::Tensor noise = g.randn({1, 4, 64, 64});   // torch.randn(..., generator=g)
//
// Facts (sd-models.md §5.2): mt19937 seeded with the low 32 bits of the 64-bit seed; float
// uniforms take 24 bits of one draw; tensors of >= 16 floats are filled with uniforms first and
// transformed 16 at a time by Box-Muller (the tail redraws 16 fresh uniforms); smaller tensors go
// through the double-precision path, which caches its second value in the generator.
//
// Thread safety: a generator is a mutable value; use one per thread.
#pragma once

#include <weft/tensor.h>

#include <array>
#include <cstdint>
#include <optional>

namespace weft::models {

/// Which transcendental kernel torch's 16-wide Box-Muller used: x86-64 builds dispatch the AVX2
/// Cephes polynomials, other builds (aarch64, ATEN_CPU_CAPABILITY=default) the libm scalar one.
enum class NormalKernel : uint8_t { Avx2, Scalar };

class TorchGenerator {
public:
    /// torch's default seed when none is set.
    static constexpr uint64_t kDefaultSeed = 67280421310721ull;

    explicit TorchGenerator(uint64_t seed = kDefaultSeed, NormalKernel kernel = NormalKernel::Avx2);

    /// torch.manual_seed / Generator.manual_seed: reseeds and drops the cached normal.
    void manual_seed(uint64_t seed);
    uint64_t initial_seed() const { return seed_; }
    NormalKernel kernel() const { return kernel_; }

    /// One raw 32-bit mt19937 draw.
    uint32_t random();
    /// Two draws combined, first one high.
    uint64_t random64();

    /// torch.randn(n) into `out` (a contiguous float32 buffer).
    void randn(float* out, int64_t n);
    /// torch.randn(shape, dtype=float32).
    Tensor randn(const Shape& shape);

private:
    void twist();
    double normal_double();

    uint64_t seed_ = kDefaultSeed;
    NormalKernel kernel_ = NormalKernel::Avx2;
    std::array<uint32_t, 624> state_{};
    int left_ = 1;
    int next_ = 0;
    std::optional<double> next_double_normal_;
};

/// ComfyUI's `prepare_noise`: torch.manual_seed(seed) then one randn over the whole latent shape.
/// With `batch_index` (LatentFromBatch / RepeatLatentBatch), draws one [1, ...] sample per index
/// 0..max(batch_index) in order and returns the samples named by batch_index (repeats allowed).
Tensor prepare_noise(const Shape& latent_shape, uint64_t seed,
                     const std::vector<int64_t>* batch_index = nullptr,
                     NormalKernel kernel = NormalKernel::Avx2);

}  // namespace weft::models
