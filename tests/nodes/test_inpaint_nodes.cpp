// Inpainting end to end on the tiny random networks of ../shared/goldens/components_tiny:
// SetLatentNoiseMask, VAEEncodeForInpaint (grown mask, grey pixels), InpaintModelConditioning, and
// KSampler keeping the unmasked latent cells at the input latent.
#include "families/sd1/checkpoint.h"
#include "node_test_util.h"
#include "nodes/sd_objects.h"
#include "single_node_runner.h"
#include "tensor/model_file.h"
#include "tensor/ops/ops.h"

#include <weft/weft.h>

#include <random>

using namespace weft;
using weft::testing::make_tensor;
using weft::testing::SingleNodeRunner;

namespace {

const std::filesystem::path kFile = weft::testing::shared_folder() / "goldens" / "components_tiny" / "tiny_sd15_components.safetensors";

#define SKIP_WITHOUT_TINY()                                                                                 \
    if (!std::filesystem::exists(kFile)) GTEST_SKIP() << "tiny component weights absent (" << kFile << "): the shared folder is not here"

std::shared_ptr<ModelFile> tiny_file() { return std::make_shared<ModelFile>(open_model_file(kFile.string())); }

Tensor randn(const Shape& s, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    return make_tensor(s, [&](int64_t) { return nd(rng); });
}

/// The tiny UNet as a MODEL; 9 input channels make it an inpainting UNet (seeded first conv).
Value tiny_model(int64_t in_channels = 4) {
    auto file = tiny_file();
    if (in_channels != 4) {
        const std::string key = "model.diffusion_model.input_blocks.0.0.weight";
        const Tensor w = file->at(key);
        file->tensors[key] = randn({w.size(0), in_channels, w.size(2), w.size(3)}, 17, 0.2f);
    }
    auto m = std::make_shared<models::DiffusionModel>();
    m->unet = nets::UNet::load(nets::WeightTable(file, "model.diffusion_model."), {.heads = 2});
    return nodes::model_value(m);
}

std::shared_ptr<const models::Autoencoder> tiny_vae() {
    auto v = std::make_shared<models::Autoencoder>();
    v->vae = nets::Vae::load(nets::WeightTable(tiny_file(), "first_stage_model."));
    return v;
}

Value cond(uint32_t seed) { return Value(Conditioning{ConditioningItem{randn({1, 5, 32}, seed), nullptr}}); }

std::vector<std::pair<std::string, Value>> ksampler_inputs(Value model, Value latent) {
    return {{"model", model}, {"seed", 3}, {"steps", 3}, {"cfg", 2.0}, {"sampler_name", "euler"}, {"scheduler", "normal"},
            {"positive", cond(1)}, {"negative", cond(2)}, {"latent_image", latent}, {"denoise", 1.0}};
}

TEST(InpaintNodes, SetLatentNoiseMaskShapesTheMask) {
    SingleNodeRunner runner;
    Latent l;
    l.samples = Tensor::zeros({1, 4, 4, 4});
    auto r = runner.run("SetLatentNoiseMask", {{"samples", Value(l)}, {"mask", Value(Tensor::full({2, 16, 16}, 1.0f))}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(r.latent().noise_mask.shape(), (Shape{2, 1, 16, 16}));
}

TEST(InpaintNodes, KSamplerKeepsUnmaskedCellsOfTheInput) {
    SKIP_WITHOUT_TINY();
    SingleNodeRunner runner;
    Latent l;
    l.samples = randn({1, 4, 8, 8}, 5);
    l.noise_mask = make_tensor({1, 1, 8, 8}, [](int64_t i) { return (i % 8) >= 4 ? 1.0f : 0.0f; });  // right half sampled
    auto r = runner.run("KSampler", ksampler_inputs(tiny_model(), Value(l)));
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor out = r.latent().samples.contiguous();
    EXPECT_TRUE(r.latent().noise_mask.defined());  // the mask stays on the LATENT
    double kept = 0, changed = 0;
    for (int64_t i = 0; i < out.numel(); ++i) {
        const double d = std::fabs(double(out.data<float>()[i]) - l.samples.data<float>()[i]);
        ((i % 8) < 4 ? kept : changed) = std::max((i % 8) < 4 ? kept : changed, d);
    }
    EXPECT_LT(kept, 1e-5);   // x0 there is the input latent (scaled in and out)
    EXPECT_GT(changed, 0.1);  // the masked half was denoised
}

TEST(InpaintNodes, VAEEncodeForInpaintGrowsTheMaskAndGreysPixels) {
    SKIP_WITHOUT_TINY();
    SingleNodeRunner runner;
    auto vae = tiny_vae();
    const Tensor img = make_tensor({1, 11, 12, 3}, [](int64_t i) { return float((i * 37) % 101) / 100.0f; });
    Tensor mask = Tensor::zeros({1, 11, 12});
    mask.data<float>()[4 * 12 + 5] = 1.0f;
    auto r = runner.run("VAEEncodeForInpaint", {{"pixels", Value(img)}, {"vae", nodes::vae_value(vae)}, {"mask", Value(mask)}, {"grow_mask_by", 3}});
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Latent& out = r.latent();
    // 11 rows cropped to 10 (offset 0); the single pixel grown to the 3x3 box around it.
    ASSERT_EQ(out.noise_mask.shape(), (Shape{1, 1, 10, 12}));
    for (int64_t y = 0; y < 10; ++y)
        for (int64_t x = 0; x < 12; ++x)
            EXPECT_EQ(out.noise_mask.data<float>()[y * 12 + x], (y >= 3 && y <= 5 && x >= 4 && x <= 6) ? 1.0f : 0.0f) << y << "," << x;
    // The encoded pixels: the masked pixel (not the grown box) set to 0.5.
    Tensor grey = img.slice(1, 0, 10).contiguous().clone();
    for (int64_t c = 0; c < 3; ++c) grey.data<float>()[(4 * 12 + 5) * 3 + c] = 0.5f;
    const Tensor want = vae->vae.encode(ops::sub(ops::mul(grey.permute({0, 3, 1, 2}).contiguous(), 2.0f), 1.0f));
    EXPECT_LT(weft::testing::max_abs_diff(out.samples, want), 1e-5);
}

TEST(InpaintNodes, EncodeForInpaintThenKSampler) {
    SKIP_WITHOUT_TINY();
    SingleNodeRunner runner;
    auto vae = tiny_vae();
    const Tensor img = make_tensor({1, 16, 16, 3}, [](int64_t i) { return float((i * 13) % 97) / 96.0f; });
    // Pixels 4..11 masked: after the bilinear resize to the 8x8 latent only cells 2..5 are non-zero.
    const Tensor mask = make_tensor({1, 16, 16}, [](int64_t i) { return (i / 16 >= 4 && i / 16 < 12 && i % 16 >= 4 && i % 16 < 12) ? 1.0f : 0.0f; });
    auto enc = runner.run("VAEEncodeForInpaint", {{"pixels", Value(img)}, {"vae", nodes::vae_value(vae)}, {"mask", Value(mask)}, {"grow_mask_by", 0}});
    ASSERT_TRUE(enc.ok()) << enc.error_text();
    const Latent encoded = enc.latent();
    auto r = runner.run("KSampler", ksampler_inputs(tiny_model(), Value(encoded)));
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor out = r.latent().samples.contiguous(), in = encoded.samples.contiguous();
    double outside = 0, inside = 0;
    for (int64_t i = 0; i < out.numel(); ++i) {
        const int64_t y = (i / 8) % 8, x = i % 8;
        const double d = std::fabs(double(out.data<float>()[i]) - in.data<float>()[i]);
        if (y >= 2 && y <= 5 && x >= 2 && x <= 5)
            inside = std::max(inside, d);
        else
            outside = std::max(outside, d);
    }
    EXPECT_LT(outside, 1e-5);
    EXPECT_GT(inside, 0.1);
}

TEST(InpaintNodes, InpaintModelConditioningFeedsAnInpaintingUNet) {
    SKIP_WITHOUT_TINY();
    SingleNodeRunner runner;
    auto vae = tiny_vae();
    const Tensor img = make_tensor({1, 16, 16, 3}, [](int64_t i) { return float((i * 7) % 89) / 88.0f; });
    const Tensor mask = make_tensor({1, 16, 16}, [](int64_t i) { return (i % 16) >= 8 ? 1.0f : 0.0f; });
    auto c = runner.run("InpaintModelConditioning", {{"positive", cond(1)}, {"negative", cond(2)}, {"vae", nodes::vae_value(vae)},
                                                     {"pixels", Value(img)}, {"mask", Value(mask)}, {"noise_mask", true}});
    ASSERT_TRUE(c.ok()) << c.error_text();
    const Conditioning& pos = c.out(0).as_conditioning();
    ASSERT_EQ(pos.size(), 1u);
    EXPECT_EQ(pos[0].extras->at("concat_latent_image").as_tensor().shape(), (Shape{1, 4, 8, 8}));
    EXPECT_EQ(pos[0].extras->at("concat_mask").as_tensor().shape(), (Shape{1, 1, 16, 16}));
    EXPECT_TRUE(c.out(1).as_conditioning()[0].extras->contains("concat_mask"));
    const Latent& lat = c.out(2).as_latent();
    EXPECT_EQ(lat.noise_mask.shape(), (Shape{1, 1, 16, 16}));
    // The latent is the untouched image's encoding; the concat latent the greyed one's.
    const Tensor x = ops::sub(ops::mul(img.permute({0, 3, 1, 2}).contiguous(), 2.0f), 1.0f);
    EXPECT_LT(weft::testing::max_abs_diff(lat.samples, vae->vae.encode(x)), 1e-5);
    EXPECT_GT(weft::testing::max_abs_diff(pos[0].extras->at("concat_latent_image").as_tensor(), lat.samples), 1e-3);

    auto inputs = ksampler_inputs(tiny_model(9), c.out(2));
    inputs[6] = {"positive", c.out(0)};
    inputs[7] = {"negative", c.out(1)};
    auto r = runner.run("KSampler", inputs);
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(r.latent().samples.shape(), (Shape{1, 4, 8, 8}));
    // Columns 0..3 of the latent are unmasked (the mask resized from 16 to 8 is 0 there).
    const Tensor out = r.latent().samples.contiguous();
    for (int64_t i = 0; i < out.numel(); ++i)
        if (i % 8 < 4) ASSERT_NEAR(out.data<float>()[i], lat.samples.contiguous().data<float>()[i], 1e-5) << i;
}

}  // namespace

TEST(InpaintNodes, VaeDecodersRefuseALatentOfAnotherChannelCount) {
    // A 16-channel latent (another model family's) given to an SD1 VAE: an error naming the node
    // and the input, never a crash or a picture.
    SKIP_WITHOUT_TINY();
    SingleNodeRunner runner;
    const Value vae = nodes::vae_value(tiny_vae());
    const Value latent(Latent{Tensor::zeros({1, 16, 8, 8}), {}, {}});
    for (const char* node : {"VAEDecode", "VAEDecodeTiled"}) {
        SCOPED_TRACE(node);
        std::vector<std::pair<std::string, Value>> inputs{{"samples", latent}, {"vae", vae}};
        if (std::string(node) == "VAEDecodeTiled")
            for (const auto& [k, v] : std::vector<std::pair<std::string, int64_t>>{
                     {"tile_size", 512}, {"overlap", 64}, {"temporal_size", 64}, {"temporal_overlap", 8}})
                inputs.emplace_back(k, Value(v));
        const auto r = runner.run(node, inputs);
        ASSERT_FALSE(r.ok());
        ASSERT_TRUE(r.result.error.has_value()) << r.error_text();
        EXPECT_EQ(r.result.error->node_id, "n");
        EXPECT_NE(r.result.error->exception_message.find("does not fit this VAE (4 channels)"), std::string::npos) << r.error_text();
        EXPECT_NE(r.result.error->exception_message.find("samples"), std::string::npos) << r.error_text();
    }
}
