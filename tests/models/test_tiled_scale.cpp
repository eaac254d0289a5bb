// ComfyUI's tiled_scale: tile placement, the feather blend, the single-tile path, progress per
// tile, and that tiling leaves a real network's output unchanged wherever every tile covering a
// pixel saw that pixel's whole receptive field.
#include "blocks/tiled_scale.h"
#include "families/upscale/upscale_model.h"
#include "process_runner.h"  // TempDir
#include "tiny_upscalers.h"

#include <weft/error.h>

#include <gtest/gtest.h>

#include <cmath>

using namespace weft;
using namespace weft::testing;

namespace {

/// Tile starts from the formula: range(0, size − overlap, tile − overlap), clamped to
/// [0, size − overlap]; a whole side when it fits one tile.
std::vector<int64_t> starts_by_formula(int64_t size, int64_t tile, int64_t overlap) {
    if (size <= tile) return {0};
    std::vector<int64_t> v;
    for (int64_t p = 0; p < size - overlap; p += tile - overlap) v.push_back(std::max<int64_t>(0, std::min(size - overlap, p)));
    return v;
}

/// Feather weight of index t in a side of `len` outputs: ramps (t+1)/f from both ends.
double ramp(int64_t t, int64_t len, int64_t f) {
    if (f >= len) return 1.0;
    double m = 1.0;
    if (t < f) m *= static_cast<double>(t + 1) / f;
    if (len - 1 - t < f) m *= static_cast<double>(len - t) / f;
    return m;
}

/// Nearest ×s then 2·v + 1: a pointwise map that any tiling must reproduce.
Tensor pointwise(const Tensor& t, int64_t s) {
    Tensor y = Tensor::zeros({1, t.size(1), t.size(2) * s, t.size(3) * s});
    for (int64_t c = 0; c < t.size(1); ++c)
        for (int64_t i = 0; i < y.size(2); ++i)
            for (int64_t j = 0; j < y.size(3); ++j)
                y.data<float>()[(c * y.size(2) + i) * y.size(3) + j] =
                    2.0f * t.data<float>()[(c * t.size(2) + i / s) * t.size(3) + j / s] + 1.0f;
    return y;
}

}  // namespace

TEST(UpscaleTiledScale, TileStartsFollowTheFormula) {
    for (int64_t size : {1, 31, 32, 33, 100, 200, 511, 512, 513, 1000, 1300})
        for (auto [tile, overlap] : {std::pair<int64_t, int64_t>{32, 8}, {64, 16}, {512, 32}}) {
            const auto got = upscale::tile_starts(size, tile, overlap);
            EXPECT_EQ(got, starts_by_formula(size, tile, overlap)) << size << " " << tile << " " << overlap;
            EXPECT_GE(got.back() + tile, size) << "the last tile reaches the edge";
        }
}

TEST(UpscaleTiledScale, PointwiseFunctionIsUnchangedByTiling) {
    const Tensor x = random_normal({2, 3, 45, 70}, 1.0f, 3);
    upscale::TileOptions o{.tile_h = 16, .tile_w = 24, .overlap = 5, .scale = 3, .out_channels = 3};
    int64_t calls = 0, last_done = 0, last_total = 0;
    const Tensor y = upscale::tiled_scale(x, [&](const Tensor& t) { ++calls; return pointwise(t, 3); }, o,
                                          [&](int64_t done, int64_t total) {
                                              EXPECT_EQ(done, last_done + 1);
                                              last_done = done;
                                              last_total = total;
                                          });
    const int64_t per_item = static_cast<int64_t>(starts_by_formula(45, 16, 5).size() * starts_by_formula(70, 24, 5).size());
    EXPECT_EQ(calls, 2 * per_item);
    EXPECT_EQ(last_done, calls);
    EXPECT_EQ(last_total, calls);
    EXPECT_EQ(upscale::tiled_scale_steps(x.shape(), o), calls);
    ASSERT_EQ(y.shape(), (Shape{2, 3, 135, 210}));
    for (int64_t b = 0; b < 2; ++b) {
        const Tensor want = pointwise(x.slice(0, b, b + 1).contiguous(), 3);
        for (int64_t i = 0; i < want.numel(); ++i)
            ASSERT_NEAR(y.data<float>()[b * want.numel() + i], want.data<float>()[i], 1e-5) << "item " << b << " at " << i;
    }
}

TEST(UpscaleTiledScale, FeatheredBlendWeightsEachTileByItsRamps) {
    // Each call returns a constant: its call index. The output is then Σ k·mask_k / Σ mask_k.
    const int64_t h = 40, w = 57, tile = 20, overlap = 6, s = 2;
    const Tensor x = Tensor::zeros({1, 1, h, w});
    upscale::TileOptions o{.tile_h = tile, .tile_w = tile, .overlap = overlap, .scale = s, .out_channels = 1};
    float k = 0;
    const Tensor y = upscale::tiled_scale(x, [&](const Tensor& t) { return Tensor::full({1, 1, t.size(2) * s, t.size(3) * s}, ++k); }, o);

    std::vector<double> num(h * s * w * s, 0.0), den(h * s * w * s, 0.0);
    const int64_t f = overlap * s;
    double idx = 0;
    for (int64_t y0 : starts_by_formula(h, tile, overlap))
        for (int64_t x0 : starts_by_formula(w, tile, overlap)) {
            ++idx;
            const int64_t th = std::min(tile, h - y0) * s, tw = std::min(tile, w - x0) * s;
            for (int64_t i = 0; i < th; ++i)
                for (int64_t j = 0; j < tw; ++j) {
                    const double m = ramp(i, th, f) * ramp(j, tw, f);
                    const size_t p = static_cast<size_t>((y0 * s + i) * w * s + x0 * s + j);
                    num[p] += idx * m;
                    den[p] += m;
                }
        }
    EXPECT_EQ(k, idx);
    bool blended = false;
    for (size_t p = 0; p < num.size(); ++p) {
        ASSERT_NEAR(y.data<float>()[p], num[p] / den[p], 1e-4) << "pixel " << p;
        blended |= std::abs(num[p] / den[p] - std::round(num[p] / den[p])) > 0.01;
    }
    EXPECT_TRUE(blended) << "the overlaps must mix neighbouring tiles";
}

TEST(UpscaleTiledScale, ImageThatFitsOneTileIsPassedWhole) {
    const Tensor x = random_normal({1, 3, 30, 20}, 1.0f, 4);
    int64_t calls = 0;
    const Tensor y = upscale::tiled_scale(x, [&](const Tensor& t) {
        ++calls;
        EXPECT_EQ(t.shape(), x.shape());
        return pointwise(t, 2);
    }, {.tile_h = 30, .tile_w = 20, .overlap = 8, .scale = 2, .out_channels = 3});
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(y.shape(), (Shape{1, 3, 60, 40}));
}

TEST(UpscaleTiledScale, WrongTileResultIsReported) {
    const Tensor x = random_normal({1, 3, 10, 10}, 1.0f, 5);
    EXPECT_THROW(upscale::tiled_scale(x, [](const Tensor& t) { return pointwise(t, 3); },
                                      {.tile_h = 8, .tile_w = 8, .overlap = 2, .scale = 2, .out_channels = 3}),
                 Error);
}

TEST(UpscaleTiledScale, NetworkOutputUnchangedWhereEveryCoveringTileSawTheReceptiveField) {
    // A compact net with 3 convs sees 3 pixels around each input pixel.
    SrvggSpec s;
    s.convs = 1;
    s.scale = 2;
    const int64_t radius = 3;
    TempDir dir;
    write_model(dir.path() / "c.safetensors", tiny_srvgg(s, 90));
    const auto model = upscale::load_upscale_model((dir.path() / "c.safetensors").string());
    const int64_t h = 50, w = 61, tile = 24, overlap = 10;
    const Tensor x = random_normal({1, 3, h, w}, 0.5f, 91);
    const Tensor whole = model->forward(x);
    const Tensor tiled = upscale::tiled_scale(x, [&](const Tensor& t) { return model->forward(t); },
                                              {.tile_h = tile, .tile_w = tile, .overlap = overlap, .scale = 2, .out_channels = 3});
    ASSERT_EQ(tiled.shape(), whole.shape());

    // A tile is exact at input pixel p when p is at least `radius` from each tile edge that is not
    // an image edge (there the tile's zero padding equals the whole image's).
    auto exact_1d = [&](int64_t p, int64_t size) {
        for (int64_t st : starts_by_formula(size, tile, overlap)) {
            const int64_t en = std::min(st + tile, size);
            if (p < st || p >= en) continue;
            if ((st > 0 && p - st < radius) || (en < size && en - 1 - p < radius)) return false;
        }
        return true;
    };
    int64_t checked = 0;
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = 0; i < h * 2; ++i)
            for (int64_t j = 0; j < w * 2; ++j) {
                if (!exact_1d(i / 2, h) || !exact_1d(j / 2, w)) continue;
                const int64_t p = (c * h * 2 + i) * w * 2 + j;
                ASSERT_NEAR(tiled.data<float>()[p], whole.data<float>()[p], 1e-4) << c << " " << i << " " << j;
                ++checked;
            }
    EXPECT_GT(checked, 3 * h * w * 4 / 2) << "most of the picture is away from tile seams";
}
