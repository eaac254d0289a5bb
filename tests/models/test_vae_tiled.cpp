// The VAE's three-pass tiled decode / encode on the tiny random VAE
// (../shared/goldens/components_tiny): the pass average against a reference built here from single
// tiled_scale passes, whole-tile inputs equal to the untiled VAE, and overlapping tiles close to it.
#include "families/sd1/vae.h"
#include "blocks/tiled_scale.h"
#include "families/sd1/vae_tiling.h"
#include "tensor/model_file.h"
#include "tensor/ops/ops.h"

#include "models_test_util.h"

#include <cmath>
#include <random>

using namespace weft;
using namespace weft::models;

namespace {

Tensor randn(const Shape& s, uint32_t seed, float scale = 1.0f) {
    Tensor t = Tensor::zeros(s);
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
    return t;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    double d = 0;
    for (int64_t i = 0; i < a.numel(); ++i) d = std::max(d, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]));
    return d;
}

TEST(VaeTiled, EncodingScaleRoundsPositionsAndFeather) {
    // Encoding-style tiles: 1/4 scale, pixel tiles of 8 with overlap 4 over 12 -> starts 0, 4.
    std::vector<int64_t> starts;
    const std::function<Tensor(const Tensor&)> fn = [&](const Tensor& t) {
        starts.push_back(static_cast<int64_t>(t.data<float>()[0]));
        return Tensor::full({1, 1, t.size(2) / 4, t.size(3) / 4}, 1.0f);
    };
    Tensor x = Tensor::zeros({1, 1, 12, 8});
    for (int64_t y = 0; y < 12; ++y)
        for (int64_t xx = 0; xx < 8; ++xx) x.data<float>()[y * 8 + xx] = float(y);
    const Tensor got = upscale::tiled_scale(x, fn, {.tile_h = 8, .tile_w = 8, .overlap = 4, .scale = 0.25, .out_channels = 1});
    EXPECT_EQ(got.shape(), (Shape{1, 1, 3, 2}));
    EXPECT_EQ(starts, (std::vector<int64_t>{0, 4}));
    for (int64_t i = 0; i < got.numel(); ++i) EXPECT_FLOAT_EQ(got.data<float>()[i], 1.0f);
}

const std::filesystem::path kFile = weft::testing::goldens_dir() / "components_tiny" / "tiny_sd15_components.safetensors";

const nets::Vae& tiny_vae() {
    static const nets::Vae vae = nets::Vae::load(
        nets::WeightTable(std::make_shared<const ModelFile>(open_model_file(kFile.string())), "first_stage_model."));
    return vae;
}

TEST(VaeTiled, DecodeFittingOneTileEqualsTheUntiledDecode) {
    WEFT_REQUIRE_PATH(kFile);
    const auto& vae = tiny_vae();
    const Tensor z = randn({1, 4, 8, 8}, 3);
    // All three passes (32x8, 8x32 and 16x16 latent tiles) take the 8x8 latent whole.
    const Tensor got = vae_decode_tiled(vae, z, 16, 16, 4);
    EXPECT_LT(max_abs_diff(got, vae.decode(z)), 1e-5);
}

/// mean |a - b| / mean |b|.
double relative_mean_error(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    double d = 0, r = 0;
    for (int64_t i = 0; i < b.numel(); ++i) d += std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]), r += std::fabs(double(b.data<float>()[i]));
    return d / r;
}

TEST(VaeTiled, DecodeAveragesThreeTileShapes) {
    WEFT_REQUIRE_PATH(kFile);
    const auto& vae = tiny_vae();
    const Tensor z = randn({1, 4, 24, 20}, 4);
    const std::function<Tensor(const Tensor&)> dec = [&](const Tensor& t) { return vae.decode(t); };
    auto pass = [&](int64_t th, int64_t tw) { return upscale::tiled_scale(z, dec, {.tile_h = th, .tile_w = tw, .overlap = 4, .scale = 2.0, .out_channels = 3}); };
    // tile_x = tile_y = 16: passes of 32x8, 8x32 and 16x16 latent cells (height x width).
    const Tensor a = pass(32, 8), b = pass(8, 32), c = pass(16, 16);
    const Tensor got = vae_decode_tiled(vae, z, 16, 16, 4);
    ASSERT_EQ(got.shape(), (Shape{1, 3, 48, 40}));
    for (int64_t i = 0; i < got.numel(); ++i)
        ASSERT_EQ(got.data<float>()[i], (a.data<float>()[i] + b.data<float>()[i] + c.data<float>()[i]) / 3.0f) << i;
    // Overlapping tiles stay near the untiled decode; the decoder's group norms and mid-block
    // attention only see a tile, so they are not equal.
    const double err = relative_mean_error(got, vae.decode(z));
    EXPECT_GT(err, 0.0);
    EXPECT_LT(err, 0.5);
}

TEST(VaeTiled, EncodeAveragesThreeTileShapes) {
    WEFT_REQUIRE_PATH(kFile);
    const auto& vae = tiny_vae();
    const Tensor x = randn({1, 3, 48, 40}, 5, 0.3f);
    const std::function<Tensor(const Tensor&)> enc = [&](const Tensor& t) { return vae.encode(t); };
    auto pass = [&](int64_t th, int64_t tw) { return upscale::tiled_scale(x, enc, {.tile_h = th, .tile_w = tw, .overlap = 8, .scale = 0.5, .out_channels = 4}); };
    // tile 32 pixels: passes of 32x32, 16x64 and 64x16 (height x width), summed in that order.
    const Tensor a = pass(32, 32), b = pass(16, 64), c = pass(64, 16);
    const Tensor got = vae_encode_tiled(vae, x, 32, 32, 8);
    ASSERT_EQ(got.shape(), (Shape{1, 4, 24, 20}));
    for (int64_t i = 0; i < got.numel(); ++i) {
        float want = a.data<float>()[i];
        want += b.data<float>()[i];
        want += c.data<float>()[i];
        ASSERT_EQ(got.data<float>()[i], want / 3.0f) << i;
    }
    const double err = relative_mean_error(got, vae.encode(x));
    EXPECT_GT(err, 0.0);
    EXPECT_LT(err, 0.5);
}

}  // namespace
