// ESRGAN/RRDBNet against a plain-loop reference of the formulas, on tiny random models written
// here: every key layout, every scale, the pixel-unshuffle variants, and the loader's errors.
#include "families/upscale/upscale_model.h"
#include "process_runner.h"  // TempDir
#include "tiny_upscalers.h"
#include "upscale_reference.h"

#include <weft/error.h>

#include <gtest/gtest.h>

using namespace weft;
using namespace weft::testing;
using namespace weft::testing::ref_up;

namespace {

/// RRDBNet from the formulas: x_feat = conv_first(x); trunk = conv(RRDB×nb(x_feat)) + x_feat;
/// per step nearest ×2, conv, lrelu; then lrelu(HR conv), last conv. RDB: dense 5-conv block,
/// out = x5·0.2 + x; RRDB = RDB3(RDB2(RDB1(x)))·0.2 + x.
Img reference_rrdb(const TensorMap& m, const RrdbSpec& s, Img x, int64_t shuffle) {
    const int64_t h = x.h, w = x.w;
    if (shuffle > 1) x = unshuffle(reflect_pad_end(x, (shuffle - h % shuffle) % shuffle, (shuffle - w % shuffle) % shuffle), shuffle);
    const Img feat = conv(x, m, "model.0");
    Img cur = feat;
    for (int64_t i = 0; i < s.nb; ++i) {
        const Img rrdb_in = cur;
        for (int k = 1; k <= 3; ++k) {
            const std::string p = "model.1.sub." + std::to_string(i) + ".RDB" + std::to_string(k) + ".conv";
            Img dense = cur;
            for (int j = 1; j <= 4; ++j) dense = cat(dense, leaky(conv(dense, m, p + std::to_string(j) + ".0")));
            cur = axpy(conv(dense, m, p + "5.0"), 0.2, cur);
        }
        cur = axpy(cur, 0.2, rrdb_in);
    }
    cur = axpy(conv(cur, m, "model.1.sub." + std::to_string(s.nb)), 1.0, feat);
    for (int64_t u = 1; u <= s.upsamples; ++u) cur = leaky(conv(nearest(cur, 2), m, "model." + std::to_string(3 * u)));
    cur = leaky(conv(cur, m, "model." + std::to_string(3 * s.upsamples + 2)));
    cur = conv(cur, m, "model." + std::to_string(3 * s.upsamples + 4));
    const int64_t scale = (int64_t{1} << s.upsamples) / shuffle;
    return crop(cur, h * scale, w * scale);
}

struct Case {
    RrdbSpec spec;
    std::string layout;
    int64_t h, w;
    int64_t shuffle;
};

void check_case(const Case& c, uint32_t seed) {
    TempDir dir;
    const TensorMap m = tiny_rrdb(c.spec, seed);
    const auto path = dir.path() / ("m_" + c.layout + ".safetensors");
    write_model(path, rrdb_in_layout(m, c.spec, c.layout));
    const auto model = upscale::load_upscale_model(path.string());
    ASSERT_EQ(model->architecture, "ESRGAN");
    const auto& net = std::get<nets::Esrgan>(model->net);
    const int64_t scale = (int64_t{1} << c.spec.upsamples) / c.shuffle;
    EXPECT_EQ(net.config().layout, c.layout);
    EXPECT_EQ(net.config().blocks, c.spec.nb);
    EXPECT_EQ(net.config().features, c.spec.nf);
    EXPECT_EQ(net.config().growth, c.spec.gc);
    EXPECT_EQ(net.config().shuffle_factor, c.shuffle);
    EXPECT_EQ(model->scale(), scale);
    EXPECT_EQ(model->in_channels(), c.spec.in / (c.shuffle * c.shuffle));

    const Tensor x = random_normal({1, model->in_channels(), c.h, c.w}, 0.5f, seed + 1000);
    const Tensor y = model->forward(x);
    ASSERT_EQ(y.shape(), (Shape{1, c.spec.out, c.h * scale, c.w * scale}));
    const Img want = reference_rrdb(m, c.spec, from_tensor(x), c.shuffle);
    EXPECT_LT(max_rel_diff(from_tensor(y), want), 2e-5) << c.layout << " x" << scale;
}

}  // namespace

TEST(Esrgan, OldLayoutEveryPowerOfTwoScaleMatchesReference) {
    for (int64_t ups : {0, 1, 2, 3}) {
        RrdbSpec s;
        s.upsamples = ups;
        check_case({s, "old", 5, 7, 1}, 10 + static_cast<uint32_t>(ups));
    }
}

TEST(Esrgan, RealEsrganAndBsrganLayoutsMatchReference) {
    RrdbSpec s;
    s.nb = 3;
    check_case({s, "new", 6, 5, 1}, 21);
    s.upsamples = 1;
    check_case({s, "bsrgan", 4, 6, 1}, 22);
}

TEST(Esrgan, SameWeightsGiveTheSameOutputInEveryLayout) {
    RrdbSpec s;
    const TensorMap m = tiny_rrdb(s, 5);
    TempDir dir;
    const Tensor x = random_normal({1, 3, 6, 4}, 0.5f, 99);
    Tensor first;
    for (const std::string layout : {"old", "new", "bsrgan"}) {
        // The BasicSR training-checkpoint wrapper is unwrapped too.
        const std::string prefix = layout == "bsrgan" ? "params_ema." : "";
        const auto path = dir.path() / (layout + ".safetensors");
        write_model(path, rrdb_in_layout(m, s, layout, prefix));
        const Tensor y = upscale::load_upscale_model(path.string())->forward(x);
        if (!first.defined()) {
            first = y;
            continue;
        }
        ASSERT_EQ(y.shape(), first.shape());
        for (int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(y.data<float>()[i], first.data<float>()[i]) << layout << " at " << i;
    }
}

TEST(Esrgan, PixelUnshuffleVariantsPadReflectAndCrop) {
    RrdbSpec s;  // a 4x network
    s.in = 12;   // Real-ESRGAN x2plus: 3·2² input channels, effective scale 2
    check_case({s, "new", 5, 7, 2}, 31);   // odd sizes: reflect-padded to 6x8, cropped back
    s.in = 48;   // x1 variant: 3·4² input channels, effective scale 1
    check_case({s, "new", 6, 9, 4}, 32);   // padded to 8x12
}

TEST(Esrgan, UpscaleClampsAndBatchesItems) {
    RrdbSpec s;
    s.upsamples = 1;
    TempDir dir;
    const TensorMap m = tiny_rrdb(s, 41);
    write_model(dir.path() / "m.safetensors", m);
    const auto model = upscale::load_upscale_model((dir.path() / "m.safetensors").string());
    const Tensor x = random_normal({2, 3, 4, 5}, 1.0f, 42);
    const Tensor y = model->upscale(x);
    ASSERT_EQ(y.shape(), (Shape{2, 3, 8, 10}));
    for (int64_t b = 0; b < 2; ++b) {
        Img want = reference_rrdb(m, s, from_tensor(x, b), 1);
        for (double& v : want.v) v = std::clamp(v, 0.0, 1.0);
        EXPECT_LT(max_rel_diff(from_tensor(y, b), want), 2e-5) << "item " << b;
    }
}

TEST(Esrgan, MissingOrMisshapenKeysNameTheFileAndKey) {
    RrdbSpec s;
    TempDir dir;
    TensorMap m = tiny_rrdb(s, 51);
    m.erase("model.1.sub.1.RDB2.conv3.0.weight");
    const auto path = dir.path() / "broken.safetensors";
    write_model(path, m);
    try {
        upscale::load_upscale_model(path.string());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("model.1.sub.1.RDB2.conv3.0.weight"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("broken.safetensors"), std::string::npos) << e.what();
    }
}

TEST(UpscaleModel, UnknownArchitectureNamesTheFile) {
    TempDir dir;
    const auto path = dir.path() / "mystery_x4.safetensors";
    write_model(path, TensorMap{{"layers.0.attn.qkv.weight", random_normal({6, 2}, 1.0f, 1)}});
    try {
        upscale::load_upscale_model(path.string());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.path(), path.string());
        EXPECT_NE(std::string(e.what()).find("mystery_x4.safetensors"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("unknown upscale model architecture"), std::string::npos) << e.what();
    }
}
