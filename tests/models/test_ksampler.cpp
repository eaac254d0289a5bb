// The KSampler driver: noise, scaling, CFG and the final latent scaling, checked against the
// seed-42 euler golden by a network stand-in that reproduces the recorded x0 at each call.
#include "sampling/cfg.h"
#include "sampling/ksampler.h"
#include "sampling/schedulers.h"
#include "sampling/sigma_utils.h"
#include "blocks/torch_rng.h"

#include "models_test_util.h"

#include <cmath>

using namespace weft;
using namespace weft::models;
namespace fs = std::filesystem;

namespace {

TEST(Cfg, CombineAndSkip) {
    EXPECT_TRUE(cfg_skips_uncond(1.0));
    EXPECT_TRUE(cfg_skips_uncond(1.0 + 1e-12));
    EXPECT_FALSE(cfg_skips_uncond(1.01));
    const Tensor c = Tensor::from_vector({2}, std::vector<float>{2.0f, 4.0f});
    const Tensor u = Tensor::from_vector({2}, std::vector<float>{1.0f, 1.0f});
    const Tensor r = cfg_combine(c, u, 7.0);
    EXPECT_FLOAT_EQ(r.data<float>()[0], 1.0f + 7.0f * 1.0f);
    EXPECT_FLOAT_EQ(r.data<float>()[1], 1.0f + 7.0f * 3.0f);
}

TEST(KSampler, CallsPerStepFollowCfg) {
    const auto ms = ModelSamplingDiscrete::sd1();
    int calls = 0, neg = 0;
    ModelFn model = [&](const Tensor& x_in, float t, CondKind k) {
        ++calls;
        neg += k == CondKind::Negative;
        EXPECT_EQ(t, std::floor(t));  // integer timesteps, as ComfyUI feeds the UNet
        return tm::scaled(x_in, 0.1f);
    };
    KSamplerParams p;
    p.steps = 5;
    p.cfg = 1.0;
    const SamplingJob job;  // euler, seed 0
    ksample(ms, model, Tensor::zeros({1, 4, 8, 8}), p, job);
    EXPECT_EQ(calls, 5);
    EXPECT_EQ(neg, 0);
    calls = neg = 0;
    p.cfg = 6.0;
    ksample(ms, model, Tensor::zeros({1, 4, 8, 8}), p, job);
    EXPECT_EQ(calls, 10);
    EXPECT_EQ(neg, 5);
    // denoise 0 and a start step past the end leave the latent as it is.
    const Tensor lat = Tensor::full({1, 4, 8, 8}, 0.5f);
    p.denoise = 0.0;
    EXPECT_EQ(ksample(ms, model, lat, p, job).data<float>()[3], 0.5f);
    p.denoise = 1.0;
    p.start_step = 10;
    EXPECT_EQ(ksample(ms, model, lat, p, job).data<float>()[3], 0.5f);
}

TEST(KSampler, ReproducesTheEulerGolden) {
    const fs::path dir = weft::testing::goldens_dir() / "sd15_tiny_seed42_64x64";
    WEFT_REQUIRE_PATH(dir / "samples.npy");
    const auto ms = ModelSamplingDiscrete::sd1();
    const auto sig = weft::testing::npy_floats(dir / "sigmas.npy");
    // A stand-in network: at call k it returns the eps that makes x0 equal the recorded x0
    // (cfg 1, so the recorded CFG'd x0 is the only prediction), and checks the input it got.
    int k = 0;
    double worst_in = 0;
    ModelFn model = [&](const Tensor& x_in, float t, CondKind) {
        const float sigma = sig[static_cast<size_t>(k)];
        const Tensor x_rec = weft::testing::load_npy(dir / ("step" + std::to_string(k) + "_x.npy"));
        const Tensor x0 = weft::testing::load_npy(dir / ("step" + std::to_string(k) + "_x0.npy"));
        EXPECT_EQ(t, ms.timestep(sigma));
        const float c_in = 1.0f / std::sqrt(sigma * sigma + 1.0f);
        Tensor eps = Tensor::zeros(x_in.shape());
        for (int64_t i = 0; i < x_in.numel(); ++i) {
            const float x = x_in.data<float>()[i] / c_in;
            worst_in = std::max(worst_in, double(std::fabs(x - x_rec.data<float>()[i])) / 100.0);
            eps.data<float>()[i] = (x - x0.data<float>()[i]) / sigma;
        }
        ++k;
        return eps;
    };
    KSamplerParams p;
    p.steps = 4;
    p.cfg = 1.0;
    p.scheduler = &scheduler_named("normal");
    SamplingJob job;
    job.seed = 42;
    job.sampler.info = &sampler_named("euler");
    const Tensor out = ksample(ms, model, Tensor::zeros({1, 4, 8, 8}), p, job);
    const Tensor want = weft::testing::load_npy(dir / "samples.npy");
    double num = 0, den = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
        num = std::max(num, double(std::fabs(out.data<float>()[i] - want.data<float>()[i])));
        den = std::max(den, double(std::fabs(want.data<float>()[i])));
    }
    EXPECT_EQ(k, 4);
    EXPECT_LT(worst_in, 1e-4);
    EXPECT_LT(num / den, 1e-5);
}

TEST(KSampler, Img2ImgStartsFromScaledLatentPlusSigmaNoise) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Tensor lat = TorchGenerator(3).randn({1, 4, 8, 8});
    KSamplerParams p;
    p.steps = 6;
    p.denoise = 0.5;
    p.cfg = 1.0;
    SamplingJob job;
    job.seed = 7;
    const float s0 = ksampler_sigmas(ms, scheduler_named("normal"), sampler_named("euler"), 6, 0.5)[0];
    const Tensor noise = prepare_noise(lat.shape(), 7);
    int calls = 0;
    ModelFn model = [&](const Tensor& x_in, float, CondKind) {
        if (calls++ == 0) {
            const float c_in = 1.0f / std::sqrt(s0 * s0 + 1.0f);
            for (int64_t i = 0; i < x_in.numel(); ++i) {
                const float want = lat.data<float>()[i] * 0.18215f + noise.data<float>()[i] * s0;
                EXPECT_NEAR(x_in.data<float>()[i] / c_in, want, 1e-5f * (1.0f + std::fabs(want)));
            }
        }
        return Tensor::zeros(x_in.shape());
    };
    // eps = 0 means x0 = x: Euler then keeps x, and the result is x / 0.18215.
    const Tensor out = ksample(ms, model, lat, p, job);
    EXPECT_EQ(calls, 6);
    EXPECT_NEAR(out.data<float>()[0], (lat.data<float>()[0] * 0.18215f + noise.data<float>()[0] * s0) / 0.18215f, 1e-4f);
}

}  // namespace
