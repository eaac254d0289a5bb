// TorchGenerator / prepare_noise against torch's own CPU randn output (goldens/components_tiny/randn).
#include "blocks/torch_rng.h"

#include "models_test_util.h"
#include "npy.h"

#include <cstring>
#include <regex>
#include <string>

using namespace weft;
using namespace weft::models;
namespace fs = std::filesystem;

namespace {

fs::path randn_dir() { return weft::testing::goldens_dir() / "components_tiny" / "randn"; }

// Counts elements whose bits differ.
int64_t bit_mismatches(const float* a, const float* b, int64_t n) {
    int64_t bad = 0;
    for (int64_t i = 0; i < n; ++i) bad += std::memcmp(a + i, b + i, 4) != 0;
    return bad;
}

TEST(TorchRng, Mt19937MatchesTheStandardEngine) {
    // torch's engine is the reference mt19937; the standard fixes its 10000th output.
    TorchGenerator g(5489);
    uint32_t v = 0;
    for (int i = 0; i < 10000; ++i) v = g.random();
    EXPECT_EQ(v, 4123659995u);
}

TEST(TorchRng, SeedUsesOnlyLow32Bits) {
    TorchGenerator a(7), b((1ull << 32) + 7);
    EXPECT_EQ(a.random(), b.random());
    EXPECT_EQ(b.initial_seed(), (1ull << 32) + 7);
}

TEST(TorchRng, EveryGoldenRandnIsBitExact) {
    WEFT_REQUIRE_PATH(randn_dir());
    const std::regex name(R"(seed(\d+)_([0-9x]+)\.npy)");
    int checked = 0;
    for (const auto& e : fs::directory_iterator(randn_dir())) {
        std::smatch m;
        const std::string file = e.path().filename().string();
        if (!std::regex_match(file, m, name)) continue;
        const uint64_t seed = std::stoull(m[1].str());
        const Tensor want = weft::testing::load_npy(e.path());
        TorchGenerator g(seed);
        const Tensor got = g.randn(want.shape());
        ASSERT_EQ(got.numel(), want.numel());
        EXPECT_EQ(bit_mismatches(got.data<float>(), want.data<float>(), got.numel()), 0) << file;
        ++checked;
    }
    EXPECT_GE(checked, 40);
}

TEST(TorchRng, ResearchVectorsSeed0) {
    TorchGenerator g(0);
    const Tensor t = g.randn({1, 4, 64, 64});
    const float* d = t.data<float>();
    const float first[8] = {-1.1258398f, -1.1523602f, -0.2505786f, -0.4338788f,
                            0.8487104f,  0.6920092f,  -0.3160128f, -2.1152194f};
    for (int i = 0; i < 8; ++i) EXPECT_NEAR(d[i], first[i], 1e-6f) << i;
    EXPECT_NEAR(d[t.numel() - 1], -1.0782080f, 1e-6f);
}

TEST(TorchRng, ScalarPathCachesTheSecondNormal) {
    // Two single draws equal one draw of two: the sine half is kept for the next call.
    TorchGenerator a(123), b(123);
    float one[1], two[2];
    b.randn(two, 2);
    a.randn(one, 1);
    EXPECT_EQ(one[0], two[0]);
    a.randn(one, 1);
    EXPECT_EQ(one[0], two[1]);
    // manual_seed drops the cache.
    a.manual_seed(123);
    a.randn(one, 1);
    EXPECT_EQ(one[0], two[0]);
}

TEST(TorchRng, TailIsRedrawnNotAPrefix) {
    // A 17-element draw's first element equals a 16-element draw's; its last does not come from
    // the 32-element stream position 16 (the tail uses 16 fresh uniforms).
    TorchGenerator a(9), b(9);
    float x17[17], x16[16];
    a.randn(x17, 17);
    b.randn(x16, 16);
    EXPECT_EQ(x17[0], x16[0]);
    EXPECT_NE(x17[1], x16[1]);  // overwritten by the redrawn tail block
}

TEST(TorchRng, PrepareNoiseGolden) {
    const fs::path p = randn_dir() / "prepare_noise_seed42_2x4x8x8.npy";
    WEFT_REQUIRE_PATH(p);
    const Tensor want = weft::testing::load_npy(p);
    const Tensor got = prepare_noise(want.shape(), 42);
    EXPECT_EQ(bit_mismatches(got.data<float>(), want.data<float>(), got.numel()), 0);
}

TEST(TorchRng, PrepareNoiseBatchIndexDrawsPerImage) {
    const Shape shape{3, 4, 8, 8};  // 256 values per image: per-image draws equal one batch draw
    const Tensor whole = prepare_noise(shape, 11);
    const std::vector<int64_t> idx{2, 0, 2};
    const Tensor picked = prepare_noise(shape, 11, &idx);
    ASSERT_EQ(picked.shape(), (Shape{3, 4, 8, 8}));
    const int64_t per = 256;
    const float* w = whole.data<float>();
    const float* p = picked.data<float>();
    EXPECT_EQ(std::memcmp(p, w + 2 * per, per * 4), 0);
    EXPECT_EQ(std::memcmp(p + per, w, per * 4), 0);
    EXPECT_EQ(std::memcmp(p + 2 * per, w + 2 * per, per * 4), 0);
}

TEST(TorchRng, ScalarKernelIsClose) {
    // The libm kernel (ARM builds) differs from the AVX2 one only in the last bits.
    TorchGenerator a(42, NormalKernel::Avx2), b(42, NormalKernel::Scalar);
    const Tensor x = a.randn({4096}), y = b.randn({4096});
    for (int64_t i = 0; i < x.numel(); ++i) ASSERT_NEAR(x.data<float>()[i], y.data<float>()[i], 1e-5f);
}

}  // namespace
