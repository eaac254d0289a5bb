// Conditioning evaluation (ComfyUI's calc_cond_batch) on the tiny random UNet of
// ../shared/goldens/components_tiny: strengths, areas with their feathered borders, masks,
// timestep ranges, control residuals and inpainting concat channels, each against a reference
// written here from ComfyUI's formulas with direct UNet calls.
#include "sampling/conditioning_eval.h"
#include "nodes/typed_conditioning.h"
#include "families/sd1/unet.h"
#include "sampling/ksampler.h"
#include "sampling/tensor_math.h"
#include "tensor/model_file.h"
#include "tensor/ops/ops.h"

#include "models_test_util.h"

#include <cmath>
#include <random>

using namespace weft;
using namespace weft::models;

namespace {

const std::filesystem::path kFile = weft::testing::goldens_dir() / "components_tiny" / "tiny_sd15_components.safetensors";

/// The tiny UNet; `in_channels` 9 widens the first conv with seeded random weights (an inpainting UNet).
const nets::UNet& tiny_unet(int64_t in_channels = 4) {
    static std::map<int64_t, std::unique_ptr<nets::UNet>> cache;
    auto& slot = cache[in_channels];
    if (!slot) {
        auto file = std::make_shared<ModelFile>(open_model_file(kFile.string()));
        if (in_channels != 4) {
            const std::string key = "model.diffusion_model.input_blocks.0.0.weight";
            const Tensor w = file->at(key).to(DType::F32);
            Tensor wide = Tensor::zeros({w.size(0), in_channels, w.size(2), w.size(3)});
            std::mt19937 rng(7);
            std::normal_distribution<float> nd(0.0f, 0.2f);
            for (int64_t i = 0; i < wide.numel(); ++i) wide.data<float>()[i] = nd(rng);
            file->tensors[key] = wide;
        }
        slot = std::make_unique<nets::UNet>(nets::UNet::load(nets::WeightTable(file, "model.diffusion_model."), {.heads = 2}));
    }
    return *slot;
}

#define SKIP_WITHOUT_TINY() WEFT_REQUIRE_PATH(kFile)

Tensor randn(const Shape& s, uint32_t seed, float scale = 1.0f) {
    Tensor t = Tensor::zeros(s);
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
    return t;
}

ConditioningItem item(const Tensor& emb, Dict extras = {}) { return ConditioningItem{emb, std::make_shared<const Dict>(std::move(extras))}; }

double max_abs_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    const Tensor ac = tm::f32(a), bc = tm::f32(b);
    double d = 0;
    for (int64_t i = 0; i < ac.numel(); ++i) d = std::max(d, std::fabs(double(ac.data<float>()[i]) - bc.data<float>()[i]));
    return d;
}

/// ComfyUI's apply_model on a (cropped) x: the denoised prediction.
Tensor denoised(const nets::UNet& unet, const ModelSamplingDiscrete& ms, const Tensor& x, float sigma, const Tensor& ctx,
                const models::ControlResiduals* control = nullptr, const Tensor& concat = {}) {
    Tensor x_in = ms.calculate_input(sigma, x);
    if (concat.defined()) x_in = ops::concat({x_in, concat}, 1);
    const Tensor t = Tensor::full({x.size(0)}, ms.timestep(sigma));
    return ms.calculate_denoised(sigma, unet.forward(x_in, t, ctx, control), x);
}

struct Fixture {
    ModelSamplingDiscrete ms = ModelSamplingDiscrete::sd1();
    Tensor x = randn({1, 4, 16, 16}, 1, 3.0f);
    Tensor ctx_a = randn({1, 5, 32}, 2), ctx_b = randn({1, 7, 32}, 3);
    float sigma = 2.5f;
    SamplingInputs inputs() const { return SamplingInputs{x.shape(), {}, {}}; }
    PreparedConditioning prepare(const nets::UNet& unet, const Conditioning& c) const {
        const CondList typed = nodes::typed_conditioning(c);
        return prepare_conditioning({unet, ms}, {&typed}, inputs())[0];
    }
};

TEST(ConditioningEval, OneEntryIsTheModelsPredictionExactly) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    const Conditioning c{item(f.ctx_a)};
    const Tensor got = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, c));
    EXPECT_EQ(max_abs_diff(got, denoised(unet, f.ms, f.x, f.sigma, f.ctx_a)), 0.0);  // the golden path stays bit-exact
}

TEST(ConditioningEval, StrengthsWeightTheAverage) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    const Conditioning c{item(f.ctx_a, {{"strength", 2.0}}), item(f.ctx_b, {{"strength", 0.5}})};
    const Tensor got = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, c));
    const Tensor want = tm::lincomb({{2.0f / 2.5f, denoised(unet, f.ms, f.x, f.sigma, f.ctx_a)}, {0.5f / 2.5f, denoised(unet, f.ms, f.x, f.sigma, f.ctx_b)}});
    EXPECT_LT(max_abs_diff(got, want), 1e-4);
}

/// ComfyUI's feathered multiplier for an area [h, w, y, x] inside an H x W latent.
std::vector<float> area_mult(int64_t h, int64_t w, int64_t y, int64_t x, int64_t H, int64_t W, float strength) {
    std::vector<float> m(static_cast<size_t>(h * w), strength);
    const int64_t rry = std::min<int64_t>(8, h / 4), rrx = std::min<int64_t>(8, w / 4);
    for (int64_t t = 0; t < rry; ++t)
        for (int64_t i = 0; i < w; ++i) {
            const float f = float((1.0 / rry) * (t + 1));
            if (y != 0) m[static_cast<size_t>(t * w + i)] *= f;
            if (h + y < H) m[static_cast<size_t>((h - 1 - t) * w + i)] *= f;
        }
    for (int64_t t = 0; t < rrx; ++t)
        for (int64_t j = 0; j < h; ++j) {
            const float f = float((1.0 / rrx) * (t + 1));
            if (x != 0) m[static_cast<size_t>(j * w + t)] *= f;
            if (w + x < W) m[static_cast<size_t>(j * w + w - 1 - t)] *= f;
        }
    return m;
}

TEST(ConditioningEval, AreaEntriesBlendWithFeatheredBorders) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    // A full-size entry plus one on rows 4..11, columns 2..13 at strength 1.5.
    const Conditioning c{item(f.ctx_a), item(f.ctx_b, {{"area", List{int64_t{8}, int64_t{12}, int64_t{4}, int64_t{2}}}, {"strength", 1.5}})};
    const Tensor got = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, c));

    const Tensor full = denoised(unet, f.ms, f.x, f.sigma, f.ctx_a);
    const Tensor crop = f.x.slice(2, 4, 12).slice(3, 2, 14).contiguous();
    const Tensor part = denoised(unet, f.ms, crop, f.sigma, f.ctx_b);
    const std::vector<float> m = area_mult(8, 12, 4, 2, 16, 16, 1.5f);
    Tensor want = Tensor::zeros(f.x.shape());
    for (int64_t ch = 0; ch < 4; ++ch)
        for (int64_t y = 0; y < 16; ++y)
            for (int64_t x = 0; x < 16; ++x) {
                double num = full.data<float>()[(ch * 16 + y) * 16 + x], den = 1.0;
                if (y >= 4 && y < 12 && x >= 2 && x < 14) {
                    const float w = m[static_cast<size_t>((y - 4) * 12 + x - 2)];
                    num += w * part.data<float>()[(ch * 8 + y - 4) * 12 + x - 2];
                    den += w;
                }
                want.data<float>()[(ch * 16 + y) * 16 + x] = static_cast<float>(num / den);
            }
    EXPECT_LT(max_abs_diff(got, want), 1e-4);
    // The corner cell of the area is feathered on both axes: weight 1.5 / 2 / 3 (rr = 2 rows, 3 columns).
    EXPECT_FLOAT_EQ(m[0], 1.5f * 0.5f * (1.0f / 3.0f));
}

TEST(ConditioningEval, CellsNoEntryCoversComeOutZero) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    const Conditioning c{item(f.ctx_a, {{"area", List{int64_t{8}, int64_t{8}, int64_t{0}, int64_t{0}}}})};
    const Tensor got = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, c));
    EXPECT_EQ(got.data<float>()[15 * 16 + 15], 0.0f);  // outside the area
    const Tensor part = denoised(unet, f.ms, f.x.slice(2, 0, 8).slice(3, 0, 8).contiguous(), f.sigma, f.ctx_a);
    EXPECT_NEAR(got.data<float>()[0], part.data<float>()[0], 1e-5);  // inside: the one prediction, whatever its weight
}

TEST(ConditioningEval, MasksWeightCellsWithoutFeathering) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    // An 8x8 mask (bilinearly upscaled to 16x16 by the preparation) on the second entry.
    Tensor mask = Tensor::zeros({1, 8, 8});
    for (int64_t i = 0; i < 64; ++i) mask.data<float>()[i] = (i % 8) < 4 ? 1.0f : 0.25f * float(i % 3);
    const Conditioning c{item(f.ctx_a), item(f.ctx_b, {{"mask", mask}, {"mask_strength", 0.8}, {"strength", 2.0}})};
    const Tensor got = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, c));
    const Tensor m16 = ops::upsample_bilinear(mask.reshape({1, 1, 8, 8}), 16, 16);
    const Tensor a = denoised(unet, f.ms, f.x, f.sigma, f.ctx_a), b = denoised(unet, f.ms, f.x, f.sigma, f.ctx_b);
    Tensor want = Tensor::zeros(f.x.shape());
    for (int64_t i = 0; i < want.numel(); ++i) {
        const double w = m16.data<float>()[i % 256] * 0.8 * 2.0;
        want.data<float>()[i] = static_cast<float>((a.data<float>()[i] + w * b.data<float>()[i]) / (1.0 + w));
    }
    EXPECT_LT(max_abs_diff(got, want), 1e-4);
}

TEST(ConditioningEval, MaskBoundsAndPercentAreasResolveToCells) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    Tensor mask = Tensor::zeros({1, 16, 16});
    mask.data<float>()[3 * 16 + 5] = 1.0f;
    mask.data<float>()[13 * 16 + 6] = 0.5f;
    const Conditioning c{item(f.ctx_a, {{"mask", mask}, {"set_area_to_bounds", true}}),
                         item(f.ctx_a, {{"area", List{Value("percentage"), 0.5, 0.25, 0.25, 0.5}}}),
                         item(f.ctx_a, {{"mask", Tensor::zeros({1, 16, 16})}, {"set_area_to_bounds", true}})};
    const PreparedConditioning p = f.prepare(unet, c);
    ASSERT_EQ(p.size(), 3u);
    // Rows 3..13 (11 rows), columns 5..6 widened to the minimum of 8.
    EXPECT_EQ(*p[0].area, (std::array<int64_t, 4>{11, 8, 3, 5}));
    EXPECT_EQ(*p[1].area, (std::array<int64_t, 4>{8, 4, 4, 8}));
    EXPECT_EQ(*p[2].area, (std::array<int64_t, 4>{8, 8, 0, 0}));  // an empty mask: the smallest area
}

TEST(ConditioningEval, AreaEntriesGetASameAreaPartnerInTheOtherList) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    const CondList pos = nodes::typed_conditioning(
        {item(f.ctx_a), item(f.ctx_b, {{"area", List{int64_t{8}, int64_t{8}, int64_t{8}, int64_t{8}}}, {"strength", 0.7}})});
    const CondList neg = nodes::typed_conditioning({item(f.ctx_a)});
    const auto lists = prepare_conditioning({unet, f.ms}, {&pos, &neg}, f.inputs());
    ASSERT_EQ(lists[1].size(), 2u);
    // The partner keeps the positive entry's area and strength but the negative's context.
    EXPECT_EQ(*lists[1][1].area, (std::array<int64_t, 4>{8, 8, 8, 8}));
    EXPECT_DOUBLE_EQ(lists[1][1].strength, 0.7);
    EXPECT_EQ(lists[1][1].context.size(1), 5);
    EXPECT_EQ(lists[0].size(), 2u);  // nothing added back to the positive list
}

TEST(ConditioningEval, TimestepRangesSkipEntriesOutsideThem) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    // Entry b is active for the first 40 % of the schedule only (high sigmas).
    const Conditioning c{item(f.ctx_a), item(f.ctx_b, {{"start_percent", 0.0}, {"end_percent", 0.4}})};
    const PreparedConditioning p = f.prepare(unet, c);
    const float boundary = static_cast<float>(f.ms.percent_to_sigma(0.4));
    for (float sigma : {boundary * 1.5f, boundary * 0.5f}) {
        const Tensor got = predict_conditioned({unet, f.ms}, f.x, sigma, p);
        const Tensor a = denoised(unet, f.ms, f.x, sigma, f.ctx_a);
        const Tensor want = sigma >= boundary ? tm::lincomb({{0.5f, a}, {0.5f, denoised(unet, f.ms, f.x, sigma, f.ctx_b)}}) : a;
        EXPECT_LT(max_abs_diff(got, want), 1e-4) << "sigma " << sigma;
    }
    // Nothing active at all: zeros, as ComfyUI's 0 / 1e-37.
    const Conditioning late{item(f.ctx_a, {{"start_percent", 0.9}, {"end_percent", 1.0}})};
    const Tensor none = predict_conditioned({unet, f.ms}, f.x, 14.0f, f.prepare(unet, late));
    EXPECT_EQ(max_abs_diff(none, Tensor::zeros(f.x.shape())), 0.0);
}

/// Adds a fixed middle-block residual and records what it was asked.
class FakeHook : public ControlHook {
public:
    explicit FakeHook(Tensor middle) : middle_(std::move(middle)) {}
    models::ControlResiduals residuals(const ControlQuery& q) const override {
        ++calls;
        last_sigma = q.sigma;
        last_rows = q.x_in.size(0);
        last_t = q.timesteps.data<float>()[0];
        models::ControlResiduals r;
        r.middle = middle_;
        return r;
    }
    mutable int calls = 0;
    mutable double last_sigma = 0;
    mutable int64_t last_rows = 0;
    mutable float last_t = 0;

private:
    Tensor middle_;
};

TEST(ConditioningEval, ControlHookResidualsReachTheUNet) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    // The middle block of the tiny UNet works at 64 channels on an 8x8 grid for a 16x16 latent.
    auto hook = std::make_shared<const FakeHook>(randn({1, 64, 8, 8}, 9));
    const Conditioning c{item(f.ctx_a, {{"control", Value::object<ControlHook>(hook, ControlHook::kTypeName)}})};
    const Tensor got = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, c));
    models::ControlResiduals r;
    r.middle = randn({1, 64, 8, 8}, 9);
    EXPECT_LT(max_abs_diff(got, denoised(unet, f.ms, f.x, f.sigma, f.ctx_a, &r)), 1e-5);
    EXPECT_GT(max_abs_diff(got, denoised(unet, f.ms, f.x, f.sigma, f.ctx_a)), 1e-3);  // the residual mattered
    EXPECT_EQ(hook->calls, 1);
    EXPECT_DOUBLE_EQ(hook->last_sigma, f.sigma);
    EXPECT_EQ(hook->last_rows, 1);
    EXPECT_EQ(hook->last_t, f.ms.timestep(f.sigma));
}

TEST(ConditioningEval, ControlAppliedToUncondReachesTheNegativeList) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet();
    auto hook = std::make_shared<const FakeHook>(Tensor::zeros({1, 64, 8, 8}));
    const Value h = Value::object<ControlHook>(hook, ControlHook::kTypeName);
    const CondList neg = nodes::typed_conditioning({item(f.ctx_b)});
    const CondList flagged = nodes::typed_conditioning({item(f.ctx_a, {{"control", h}, {"control_apply_to_uncond", true}})});
    auto lists = prepare_conditioning({unet, f.ms}, {&flagged, &neg}, f.inputs());
    EXPECT_EQ(lists[1][0].control.get(), hook.get());
    // Without the flag (ControlNetApplyAdvanced sets controls on both lists itself) nothing is copied.
    const CondList plain = nodes::typed_conditioning({item(f.ctx_a, {{"control", h}})});
    lists = prepare_conditioning({unet, f.ms}, {&plain, &neg}, f.inputs());
    EXPECT_EQ(lists[1][0].control, nullptr);
}

TEST(ConditioningEval, InpaintingUNetGetsMaskAndMaskedLatentChannels) {
    SKIP_WITHOUT_TINY();
    Fixture f;
    const auto& unet = tiny_unet(9);
    const Tensor concat_latent = randn({1, 4, 16, 16}, 11);
    Tensor mask = Tensor::zeros({1, 16, 16});
    for (int64_t i = 0; i < 256; ++i) mask.data<float>()[i] = (i / 16) >= 8 ? 0.9f : 0.2f;  // rounds to 1 / 0
    const Conditioning c{item(f.ctx_a, {{"concat_latent_image", concat_latent}, {"concat_mask", mask}})};
    const Tensor got = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, c));
    Tensor rounded = Tensor::zeros({1, 1, 16, 16});
    for (int64_t i = 0; i < 256; ++i) rounded.data<float>()[i] = std::nearbyint(mask.data<float>()[i]);
    const Tensor concat = ops::concat({rounded, tm::scaled(concat_latent, 0.18215f)}, 1);
    EXPECT_LT(max_abs_diff(got, denoised(unet, f.ms, f.x, f.sigma, f.ctx_a, nullptr, concat)), 1e-5);

    // Without concat inputs: an all-ones mask and the blank-image latent.
    const Conditioning plain{item(f.ctx_a)};
    const Tensor got2 = predict_conditioned({unet, f.ms}, f.x, f.sigma, f.prepare(unet, plain));
    Tensor blank = Tensor::zeros({1, 4, 16, 16});
    const float v[4] = {0.8223f, -0.6876f, 0.6364f, 0.1380f};
    for (int64_t i = 0; i < blank.numel(); ++i) blank.data<float>()[i] = v[i / 256];
    const Tensor concat2 = ops::concat({Tensor::full({1, 1, 16, 16}, 1.0f), blank}, 1);
    EXPECT_LT(max_abs_diff(got2, denoised(unet, f.ms, f.x, f.sigma, f.ctx_a, nullptr, concat2)), 1e-5);
}

TEST(ConditioningEval, WeightsFollowComfyUIsMultiplier) {
    // Pure arithmetic, no network: a 16x16 area at the top-left corner of a 24x24 latent feathers
    // only its bottom and right borders, 4 cells deep (16 / 4).
    CondEntry e;
    e.area = std::array<int64_t, 4>{16, 16, 0, 0};
    e.strength = 2.0;
    const Tensor w = entry_weight(e, {1, 1, 24, 24});
    ASSERT_EQ(w.shape(), (Shape{1, 1, 16, 16}));
    const std::vector<float> ref = area_mult(16, 16, 0, 0, 24, 24, 2.0f);
    for (int64_t i = 0; i < 256; ++i) ASSERT_FLOAT_EQ(w.data<float>()[i], ref[static_cast<size_t>(i)]) << i;
    EXPECT_FLOAT_EQ(w.data<float>()[0], 2.0f);
    EXPECT_FLOAT_EQ(w.data<float>()[15 * 16 + 15], 2.0f * 0.25f * 0.25f);
    // An area reaching past the latent is clipped to it.
    e.area = std::array<int64_t, 4>{16, 16, 20, 20};
    EXPECT_EQ(entry_weight(e, {1, 1, 24, 24}).shape(), (Shape{1, 1, 4, 4}));
}

}  // namespace
