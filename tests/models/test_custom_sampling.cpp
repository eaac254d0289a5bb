// The custom-sampling pipeline: run_sampling (SamplerCustom's path) against ksample (KSampler's),
// split schedules against one run, the guiders' combination rules, the model-sampling variants
// of the ModelSamplingDiscrete node, and RescaleCFG against a direct transcription of its formula.
#include "sampling/guidance.h"
#include "sampling/ksampler.h"
#include "sampling/rescale_cfg.h"
#include "sampling/sigma_utils.h"

#include "sampling/tensor_math.h"
#include "models_test_util.h"

#include <weft/error.h>

#include <cmath>
#include <random>

using namespace weft;
using namespace weft::models;
namespace tmx = weft::models::tm;

namespace {

Tensor random_tensor(const Shape& shape, unsigned seed, float scale = 1.0f) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> n(0.0f, scale);
    Tensor t = Tensor::zeros(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = n(gen);
    return t;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.numel(), b.numel());
    double d = 0;
    for (int64_t i = 0; i < a.numel() && i < b.numel(); ++i) d = std::max(d, double(std::fabs(a.data<float>()[i] - b.data<float>()[i])));
    return d;
}

double max_abs(const Tensor& a) {
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, double(std::fabs(a.data<float>()[i])));
    return m;
}

// A toy network: a different, input-dependent eps per conditioning, so CFG matters.
ModelFn toy_model(int* calls = nullptr) {
    return [calls](const Tensor& x_in, float t, CondKind k) {
        if (calls) ++calls[static_cast<int>(k)];
        const float a = k == CondKind::Positive ? 0.30f : k == CondKind::Negative ? -0.20f : 0.05f;
        Tensor out = Tensor::zeros(x_in.shape());
        for (int64_t i = 0; i < x_in.numel(); ++i)
            out.data<float>()[i] = a * x_in.data<float>()[i] + 0.001f * t * std::sin(0.7f * static_cast<float>(i) + a);
        return out;
    };
}

TEST(CustomSampling, RunSamplingEqualsKSampleBitForBit) {
    const auto ms = ModelSamplingDiscrete::sd1();
    for (const char* sampler : {"euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "dpm_2"}) {
        SCOPED_TRACE(sampler);
        KSamplerParams p;
        p.steps = 5;
        p.cfg = 4.5;
        p.scheduler = &scheduler_named("karras");
        SamplingJob job;
        job.seed = 1234;
        job.sampler.info = &sampler_named(sampler);
        const Tensor latent = Tensor::zeros({1, 4, 6, 5});
        const Tensor want = ksample(ms, toy_model(), latent, p, job);

        // SamplerCustom: KSamplerSelect + BasicScheduler + CFGGuider + RandomNoise(seed).
        const Tensor noise = NoiseSource{true, job.seed}.generate(latent.shape(), {});
        const Sigmas sigmas = ksampler_sigmas(ms, *p.scheduler, *job.sampler.info, p.steps, 1.0);
        GuiderSpec g;
        g.kind = GuiderKind::Cfg;
        g.cfg = p.cfg;
        int steps = 0;
        job.callback = [&](const StepInfo& s) { EXPECT_EQ(s.i, steps++); };
        const SamplingOutput got = run_sampling(ms, Guidance{toy_model(), g, {}, {}}, latent, job, noise, sigmas);
        EXPECT_EQ(steps, p.steps);
        ASSERT_EQ(got.samples.numel(), want.numel());
        EXPECT_EQ(max_abs_diff(got.samples, want), 0.0);
        EXPECT_GT(max_abs(got.samples), 0.0);
    }
}

TEST(CustomSampling, DenoisedOutputIsTheLastStepsPrediction) {
    const auto ms = ModelSamplingDiscrete::sd1();
    SamplingJob job;
    const Tensor latent = random_tensor({1, 4, 4, 4}, 3);
    const Tensor noise = NoiseSource{true, 5}.generate(latent.shape(), {});
    const Sigmas sigmas = basic_scheduler(ms, scheduler_named("normal"), 4, 0.6);
    job.sampler.info = &sampler_named("euler");
    Tensor last;
    job.callback = [&](const StepInfo& s) { last = *s.denoised; };
    GuiderSpec g;
    g.cfg = 3.0;
    const SamplingOutput o = run_sampling(ms, Guidance{toy_model(), g, {}, {}}, latent, job, noise, sigmas);
    ASSERT_TRUE(last.defined());
    for (int64_t i = 0; i < last.numel(); ++i) EXPECT_FLOAT_EQ(o.denoised.data<float>()[i], last.data<float>()[i] / 0.18215f);
    // Euler's last step to sigma 0 lands on the prediction: output and denoised_output agree.
    EXPECT_LT(max_abs_diff(o.denoised, o.samples), 1e-5 * max_abs(o.samples));

    // Fewer than two sigmas: nothing runs, both outputs are the input.
    const SamplingOutput none = run_sampling(ms, Guidance{toy_model(), g, {}, {}}, latent, job, noise, {0.0f});
    EXPECT_EQ(max_abs_diff(none.samples, latent), 0.0);
    EXPECT_EQ(max_abs_diff(none.denoised, latent), 0.0);
}

TEST(CustomSampling, SplitSigmasTwoRunsEqualOne) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Tensor latent = Tensor::zeros({1, 4, 6, 6});
    GuiderSpec g;
    g.cfg = 6.0;
    for (const char* sampler : {"euler", "heun"}) {
        SCOPED_TRACE(sampler);
        SamplingJob whole;
        const Tensor noise = NoiseSource{true, 77}.generate(latent.shape(), {});
        const Sigmas sigmas = basic_scheduler(ms, scheduler_named("normal"), 8, 1.0);
        whole.sampler.info = &sampler_named(sampler);
        whole.seed = 77;
        const Tensor one = run_sampling(ms, Guidance{toy_model(), g, {}, {}}, latent, whole, noise, sigmas).samples;

        auto [high, low] = split_sigmas(sigmas, 3);
        const Tensor mid = run_sampling(ms, Guidance{toy_model(), g, {}, {}}, latent, whole, noise, high).samples;
        SamplingJob second = whole;  // DisableNoise
        second.seed = 0;
        const Tensor two =
            run_sampling(ms, Guidance{toy_model(), g, {}, {}}, mid, second, NoiseSource{false, 0}.generate(latent.shape(), {}), low).samples;
        // Only the latent's scale round trip (x / 0.18215 * 0.18215) separates them (one-step
        // samplers; multistep ones restart their history at the split, in ComfyUI too).
        EXPECT_LT(max_abs_diff(one, two), 1e-5 * max_abs(one));
    }
}

TEST(Guidance, BasicCfgAndDualCombine) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Tensor x = random_tensor({1, 4, 3, 3}, 11, 5.0f);
    const float sigma = 3.2f;
    auto den = [&](CondKind k) { return ms.calculate_denoised(sigma, toy_model()(ms.calculate_input(sigma, x), ms.timestep(sigma), k), x); };
    const Tensor pos = den(CondKind::Positive), neg = den(CondKind::Negative), mid = den(CondKind::Middle);

    int calls[3] = {0, 0, 0};
    GuiderSpec basic;
    basic.kind = GuiderKind::Basic;
    EXPECT_EQ(max_abs_diff(make_guided_denoiser(ms, toy_model(calls), basic)(x, sigma), pos), 0.0);
    EXPECT_EQ(calls[1] + calls[2], 0);

    GuiderSpec cfg;
    cfg.cfg = 1.0;
    EXPECT_EQ(max_abs_diff(make_guided_denoiser(ms, toy_model(calls), cfg)(x, sigma), pos), 0.0);
    EXPECT_EQ(calls[1], 0) << "cfg 1 skips the uncond pass";
    // A sampler that reads the uncond prediction turns the shortcut off.
    GuidanceTap tap;
    tap.want_uncond = true;
    make_guided_denoiser(ms, toy_model(calls), cfg, {}, &tap)(x, sigma);
    EXPECT_EQ(calls[1], 1);
    EXPECT_LT(max_abs_diff(tap.uncond_denoised, neg), 1e-6);

    cfg.cfg = 7.5;
    const Tensor c = make_guided_denoiser(ms, toy_model(), cfg)(x, sigma);
    for (int64_t i = 0; i < x.numel(); ++i) {
        const double want = neg.data<float>()[i] + (pos.data<float>()[i] - neg.data<float>()[i]) * 7.5;
        EXPECT_NEAR(c.data<float>()[i], want, 1e-4 * (1 + std::fabs(want)));
    }

    GuiderSpec dual;
    dual.kind = GuiderKind::DualCfg;
    dual.cfg = 3.0;
    dual.cfg2 = 2.0;
    const Tensor reg = make_guided_denoiser(ms, toy_model(), dual)(x, sigma);
    dual.nested = true;
    const Tensor nest = make_guided_denoiser(ms, toy_model(), dual)(x, sigma);
    for (int64_t i = 0; i < x.numel(); ++i) {
        const double p = pos.data<float>()[i], m = mid.data<float>()[i], n = neg.data<float>()[i];
        const double want_reg = n + (m - n) * 2.0 + (p - m) * 3.0;      // regular
        const double text = m + (p - m) * 3.0;                           // nested
        const double want_nest = n + 2.0 * (text - n);
        EXPECT_NEAR(reg.data<float>()[i], want_reg, 1e-4 * (1 + std::fabs(want_reg)));
        EXPECT_NEAR(nest.data<float>()[i], want_nest, 1e-4 * (1 + std::fabs(want_nest)));
    }
    // Regular dual CFG with both scales 1 needs only the first conditioning.
    int dual_calls[3] = {0, 0, 0};
    dual.nested = false;
    dual.cfg = dual.cfg2 = 1.0;
    EXPECT_LT(max_abs_diff(make_guided_denoiser(ms, toy_model(dual_calls), dual)(x, sigma), pos), 1e-5 * max_abs(pos));
    EXPECT_EQ(dual_calls[1] + dual_calls[2], 0);
}

TEST(ModelSamplingVariants, VPredictionMath) {
    const auto ms = ModelSamplingDiscrete::sd1_named("v_prediction");
    EXPECT_EQ(ms.prediction(), Prediction::V);
    const Tensor x = random_tensor({1, 4, 2, 2}, 1, 3.0f), v = random_tensor({1, 4, 2, 2}, 2);
    for (float sigma : {0.1f, 1.0f, 14.6f}) {
        const Tensor d = ms.calculate_denoised(sigma, v, x);
        const double s2 = double(sigma) * sigma;
        for (int64_t i = 0; i < x.numel(); ++i) {
            // x0 = x / (s^2 + 1) - v * s / sqrt(s^2 + 1)  (sigma_data 1)
            const double want = x.data<float>()[i] / (s2 + 1) - v.data<float>()[i] * sigma / std::sqrt(s2 + 1);
            EXPECT_NEAR(d.data<float>()[i], want, 1e-5 * (1 + std::fabs(want)));
        }
    }
    // The same table as eps: only the output parameterisation differs.
    EXPECT_EQ(ms.sigmas(), ModelSamplingDiscrete::sd1().sigmas());
    EXPECT_THROW(ModelSamplingDiscrete::sd1_named("flow"), Error);
}

TEST(ModelSamplingVariants, X0ImgToImgAndZsnr) {
    const Tensor x = random_tensor({1, 4, 2, 2}, 4, 2.0f), out = random_tensor({1, 4, 2, 2}, 5);
    const auto x0 = ModelSamplingDiscrete::sd1_named("x0");
    EXPECT_EQ(max_abs_diff(x0.calculate_denoised(2.0f, out, x), out), 0.0);
    EXPECT_LT(max_abs_diff(x0.calculate_input(2.0f, x), tmx::scaled(x, 1.0f / std::sqrt(5.0f))), 1e-6);
    const auto i2i = ModelSamplingDiscrete::sd1_named("img_to_img");
    EXPECT_EQ(max_abs_diff(i2i.calculate_input(2.0f, x), x), 0.0);
    EXPECT_EQ(max_abs_diff(i2i.calculate_denoised(2.0f, out, x), out), 0.0);
    // Zero terminal SNR: the last sigma becomes huge (alpha_bar 4.897e-8), the first stays small.
    const auto z = ModelSamplingDiscrete::sd1_named("eps", true);
    EXPECT_NEAR(z.sigma_max(), std::sqrt((1 - 4.8973451890853435e-08) / 4.8973451890853435e-08), 1.0);
    EXPECT_LT(z.sigma_min(), 0.05f);
}

TEST(ModelSamplingVariants, LcmDistilledTimesteps) {
    const auto base = ModelSamplingDiscrete::sd1();
    const auto lcm = ModelSamplingDiscrete::sd1_named("lcm");
    ASSERT_EQ(lcm.sigmas().size(), 50u);
    EXPECT_EQ(lcm.skip_steps(), 20);
    for (int k = 0; k < 50; ++k) {
        EXPECT_EQ(lcm.sigmas()[static_cast<size_t>(k)], base.sigmas()[static_cast<size_t>(20 * k + 19)]);
        EXPECT_EQ(lcm.timestep(lcm.sigmas()[static_cast<size_t>(k)]), static_cast<float>(20 * k + 19));
    }
    EXPECT_EQ(lcm.sigma_max(), base.sigma_max());
    EXPECT_NEAR(lcm.sigma(999.0f), base.sigma_max(), 1e-5);
    EXPECT_NEAR(lcm.sigma(19.0f), base.sigmas()[19], 1e-6);
    // Between two kept timesteps the log table is interpolated.
    EXPECT_NEAR(std::log(lcm.sigma(29.0f)), 0.5 * (std::log(base.sigmas()[19]) + std::log(base.sigmas()[39])), 1e-5);
    // Boundary conditions: c_skip = 0.25 / ((10 t)^2 + 0.25), c_out = 10 t / sqrt((10 t)^2 + 0.25).
    const Tensor x = random_tensor({1, 4, 2, 2}, 6, 3.0f), eps = random_tensor({1, 4, 2, 2}, 7);
    const float sigma = lcm.sigmas()[0];  // timestep 19
    const Tensor d = lcm.calculate_denoised(sigma, eps, x);
    const double t = 190.0, c_skip = 0.25 / (t * t + 0.25), c_out = t / std::sqrt(t * t + 0.25);
    for (int64_t i = 0; i < x.numel(); ++i) {
        const double x0 = x.data<float>()[i] - double(eps.data<float>()[i]) * sigma;
        EXPECT_NEAR(d.data<float>()[i], c_out * x0 + c_skip * x.data<float>()[i], 1e-5);
    }
}

// RescaleCFG transcribed step by step from the published formula, in double.
Tensor rescale_reference(const Tensor& x, float sigma, const Tensor& cond_den, const Tensor& uncond_den, double scale, double mult) {
    const int64_t n = x.numel();
    const double s = sigma, k = s * s + 1.0;
    std::vector<double> vc(n), vcfg(n);
    for (int64_t i = 0; i < n; ++i) {
        const double xo = x.data<float>()[i];
        const double xs = xo / k;
        const double c = (xs - cond_den.data<float>()[i]) * std::sqrt(k) / s;
        const double u = (xs - uncond_den.data<float>()[i]) * std::sqrt(k) / s;
        vc[i] = c;
        vcfg[i] = u + scale * (c - u);
    }
    auto stdev = [&](const std::vector<double>& v) {
        double m = 0, ss = 0;
        for (double e : v) m += e;
        m /= double(n);
        for (double e : v) ss += (e - m) * (e - m);
        return std::sqrt(ss / double(n - 1));
    };
    const double ratio = stdev(vc) / stdev(vcfg);
    Tensor out = Tensor::zeros(x.shape());
    for (int64_t i = 0; i < n; ++i) {
        const double fin = mult * vcfg[i] * ratio + (1 - mult) * vcfg[i];
        out.data<float>()[i] = static_cast<float>(x.data<float>()[i] / k - fin * s / std::sqrt(k));
    }
    return out;
}

TEST(RescaleCfg, MatchesTheFormula) {
    const Tensor x = random_tensor({1, 4, 5, 5}, 21, 4.0f);
    const Tensor c = random_tensor({1, 4, 5, 5}, 22), u = random_tensor({1, 4, 5, 5}, 23, 0.7f);
    for (double mult : {0.0, 0.7, 1.0}) {
        for (float sigma : {0.5f, 6.0f}) {
            const CfgArgs a{x, sigma, c, u, 7.0};
            const Tensor got = rescale_cfg(a, mult);
            const Tensor want = rescale_reference(x, sigma, c, u, 7.0, mult);
            EXPECT_LT(max_abs_diff(got, want), 1e-4 * (1 + max_abs(want))) << mult << " " << sigma;
            if (mult == 0.0) {  // no rescale: plain CFG on x0
                const Tensor plain = tmx::lincomb({{1.0f - 7.0f, u}, {7.0f, c}});
                EXPECT_LT(max_abs_diff(got, plain), 1e-4 * (1 + max_abs(plain)));
            }
        }
    }
    // Per batch item: each item is rescaled by its own standard deviations.
    Tensor x2 = Tensor::zeros({2, 4, 5, 5}), c2 = Tensor::zeros({2, 4, 5, 5}), u2 = Tensor::zeros({2, 4, 5, 5});
    const Tensor c_other = random_tensor({1, 4, 5, 5}, 24, 3.0f);
    for (int64_t i = 0; i < 100; ++i) {
        x2.data<float>()[i] = x2.data<float>()[100 + i] = x.data<float>()[i];
        c2.data<float>()[i] = c.data<float>()[i];
        c2.data<float>()[100 + i] = c_other.data<float>()[i];
        u2.data<float>()[i] = u2.data<float>()[100 + i] = u.data<float>()[i];
    }
    const Tensor both = rescale_cfg(CfgArgs{x2, 2.0f, c2, u2, 5.0}, 0.7);
    const Tensor first = rescale_cfg(CfgArgs{x, 2.0f, c, u, 5.0}, 0.7);
    for (int64_t i = 0; i < 100; ++i) EXPECT_FLOAT_EQ(both.data<float>()[i], first.data<float>()[i]);
}

TEST(RescaleCfg, ThroughGuidanceOptions) {
    const auto ms = ModelSamplingDiscrete::sd1();
    GuidanceOptions opts;
    opts.cfg_function = [](const CfgArgs& a) { return rescale_cfg(a, 0.7); };
    GuiderSpec cfg;
    cfg.cfg = 6.0;
    const Tensor x = random_tensor({1, 4, 3, 3}, 31, 5.0f);
    const float sigma = 2.5f;
    const Tensor got = make_guided_denoiser(ms, toy_model(), cfg, opts)(x, sigma);
    auto den = [&](CondKind k) { return ms.calculate_denoised(sigma, toy_model()(ms.calculate_input(sigma, x), ms.timestep(sigma), k), x); };
    const Tensor want = rescale_reference(x, sigma, den(CondKind::Positive), den(CondKind::Negative), 6.0, 0.7);
    EXPECT_LT(max_abs_diff(got, want), 1e-4 * (1 + max_abs(want)));
}

}  // namespace
