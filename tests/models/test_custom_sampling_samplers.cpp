// The samplers added with custom sampling: the CFG++ family, SEEDS-3 and SA-Solver.
//   - CFG++ with identical conditional and unconditional predictions is its plain twin (the
//     direction and the target coincide), so each must match it; with different ones, single
//     steps are checked against the published update written out here.
//   - SEEDS-3 without noise and SA-Solver converge to the exact probability-flow map of a
//     Gaussian data distribution; with noise they reach that distribution.
//   - sa_solver calls the model once per step, so ComfyUI's matrix golden replays it.
#include "sampling/guidance.h"
#include "sampling/ksampler.h"
#include "sampling/sampler_catalog.h"
#include "sampling/schedulers.h"
#include "sampling/sigma_utils.h"
#include "blocks/torch_rng.h"

#include "sampling/tensor_math.h"
#include "models_test_util.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace weft;
using namespace weft::models;
namespace tmx = weft::models::tm;
namespace fs = std::filesystem;

namespace {

constexpr double kS = 0.5;

/// The exact x0 prediction for data ~ N(mu, kS^2) per element.
Tensor gaussian_x0(const Tensor& x, float sigma, double mu) {
    Tensor out = Tensor::zeros(x.shape());
    const double s2 = kS * kS, sg2 = double(sigma) * sigma;
    for (int64_t i = 0; i < x.numel(); ++i) out.data<float>()[i] = static_cast<float>((s2 * x.data<float>()[i] + sg2 * mu) / (s2 + sg2));
    return out;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
    double d = 0;
    for (int64_t i = 0; i < a.numel(); ++i) d = std::max(d, double(std::fabs(a.data<float>()[i] - b.data<float>()[i])));
    return d;
}
double max_abs(const Tensor& a) {
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, double(std::fabs(a.data<float>()[i])));
    return m;
}

/// A guided denoiser over two Gaussian "conditionings" (means mu_cond, mu_uncond) with a tap.
struct Guided {
    GuidanceTap tap;
    Denoiser D;
    int calls = 0;
    Guided(double mu_cond, double mu_uncond, double cfg) {
        tap.want_uncond = true;
        DenoiseFn fn = [this, mu_cond, mu_uncond](const Tensor& x, float sigma, CondKind k) {
            ++calls;
            return gaussian_x0(x, sigma, k == CondKind::Positive ? mu_cond : mu_uncond);
        };
        GuiderSpec g;
        g.cfg = cfg;
        D = make_guided_denoiser(fn, g, {}, &tap);
    }
};

Tensor start_x(const Sigmas& sigmas, double mu, unsigned seed = 3, int64_t side = 8) {
    Tensor x = TorchGenerator(seed).randn({1, 4, side, side});
    const double sT = sigmas[0];
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(mu + x.data<float>()[i] * std::sqrt(kS * kS + sT * sT));
    return x;
}

TEST(CfgPpSamplers, EqualTheirPlainTwinsWhenCondEqualsUncond) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Sigmas sigmas = karras_sigmas(8, ms.sigma_min(), ms.sigma_max());
    const Tensor x = start_x(sigmas, 0.3);
    // Not dpmpp_2s_ancestral_cfg_pp: as in ComfyUI, its second stage shifts x by the first call's
    // prediction minus the midpoint call's, which is not zero even when cond equals uncond.
    const std::vector<std::pair<const char*, const char*>> twins{
        {"euler_cfg_pp", "euler"}, {"euler_ancestral_cfg_pp", "euler_ancestral"}, {"dpmpp_2m_cfg_pp", "dpmpp_2m"}, {"res_multistep_cfg_pp", "res_multistep"},
        {"res_multistep_ancestral_cfg_pp", "res_multistep_ancestral"}, {"gradient_estimation_cfg_pp", "gradient_estimation"}};
    for (const auto& [pp, plain] : twins) {
        SCOPED_TRACE(pp);
        EXPECT_TRUE(sampler_named(pp).needs_uncond);
        EXPECT_FALSE(sampler_named(plain).needs_uncond);
        Guided g(0.3, 0.3, 4.0);
        SamplerContext ctx;
        ctx.seed = 9;
        ctx.guidance = &g.tap;
        const Tensor a = sample(sampler_named(pp), g.D, x, sigmas, ctx);
        SamplerContext plain_ctx;
        plain_ctx.seed = 9;
        const Tensor b = sample(sampler_named(plain), [](const Tensor& v, float s) { return gaussian_x0(v, s, 0.3); }, x, sigmas, plain_ctx);
        EXPECT_LT(max_abs_diff(a, b), 1e-4 * (1 + max_abs(b)));
        EXPECT_GT(g.calls, 0);
    }
}

TEST(CfgPpSamplers, StepsFollowTheCfgPpUpdate) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Sigmas sigmas = {10.0f, 4.0f, 1.5f, 0.0f};
    const Tensor x = start_x(sigmas, 0.0);
    const double mc = 0.4, mu = -0.2, cfg = 0.6;
    auto guided = [&](const Tensor& v, float s) {
        return tmx::lincomb({{float(1 - cfg), gaussian_x0(v, s, mu)}, {float(cfg), gaussian_x0(v, s, mc)}});
    };
    // euler_cfg_pp: x' = D_cfg(x) + sigma' (x - D_uncond(x)) / sigma, and D_cfg at sigma' = 0.
    {
        Guided g(mc, mu, cfg);
        SamplerContext ctx;
        ctx.guidance = &g.tap;
        const Tensor got = sample(sampler_named("euler_cfg_pp"), g.D, x, sigmas, ctx);
        Tensor v = x;
        for (size_t i = 0; i + 1 < sigmas.size(); ++i) {
            const float s = sigmas[i], sn = sigmas[i + 1];
            v = sn == 0.0f ? guided(v, s)
                           : tmx::lincomb({{1.0f, guided(v, s)}, {sn / s, v}, {-sn / s, gaussian_x0(v, s, mu)}});
        }
        EXPECT_LT(max_abs_diff(got, v), 1e-5 * (1 + max_abs(v)));
    }
    // dpmpp_2m_cfg_pp, second step: x' = D + e (x - U) - expm1(-h) / (2 r) (D - U_prev), e = sigma' / sigma.
    {
        Guided g(mc, mu, cfg);
        SamplerContext ctx;
        ctx.guidance = &g.tap;
        const Sigmas two = {sigmas[0], sigmas[1], sigmas[2]};
        const Tensor got = sample(sampler_named("dpmpp_2m_cfg_pp"), g.D, x, two, ctx);
        const Tensor d0 = guided(x, two[0]), u0 = gaussian_x0(x, two[0], mu);
        const float e0 = two[1] / two[0];
        const Tensor x1 = tmx::lincomb({{1.0f, d0}, {e0, x}, {-e0, u0}});
        const Tensor d1 = guided(x1, two[1]), u1 = gaussian_x0(x1, two[1], mu);
        const double h = std::log(double(two[1]) / two[2]), h_last = std::log(double(two[0]) / two[1]);
        const double c = -std::expm1(-h) / (2 * (h_last / h));
        const float e1 = two[2] / two[1];
        const Tensor want = tmx::lincomb({{float(1 + c), d1}, {e1, x1}, {-e1, u1}, {float(-c), u0}});
        EXPECT_LT(max_abs_diff(got, want), 1e-5 * (1 + max_abs(want)));
    }
    // dpmpp_2s_ancestral_cfg_pp at eta 0, first step: both stages start from x + D - U, where U is the
    // uncond prediction of the model call just made (the midpoint's for the second stage).
    {
        Guided g(mc, mu, cfg);
        SamplerContext ctx;
        ctx.guidance = &g.tap;
        ctx.eta = 0.0;
        const Sigmas one = {sigmas[0], sigmas[1]};
        const Tensor got = sample(sampler_named("dpmpp_2s_ancestral_cfg_pp"), g.D, x, one, ctx);
        const float s = one[0], sn = one[1], sm = std::sqrt(s * sn);
        const double h = std::log(double(s) / sn);
        const Tensor d0 = guided(x, s), u0 = gaussian_x0(x, s, mu);
        const Tensor x2 = tmx::lincomb({{sm / s, x}, {sm / s, d0}, {-sm / s, u0}, {float(-std::expm1(-h / 2)), d0}});
        const Tensor d2 = guided(x2, sm), u2 = gaussian_x0(x2, sm, mu);
        const Tensor want = tmx::lincomb({{sn / s, x}, {sn / s, d0}, {-sn / s, u2}, {float(-std::expm1(-h)), d2}});
        EXPECT_LT(max_abs_diff(got, want), 1e-5 * (1 + max_abs(want)));
    }
}

TEST(CfgPpSamplers, RunThroughThePipelineAtCfgOne) {
    // At cfg 1 a plain CFG run skips the uncond pass; a CFG++ sampler must still get it.
    const auto ms = ModelSamplingDiscrete::sd1();
    int neg = 0;
    ModelFn model = [&](const Tensor& x_in, float, CondKind k) {
        neg += k == CondKind::Negative;
        return tmx::scaled(x_in, k == CondKind::Positive ? 0.2f : -0.1f);
    };
    KSamplerParams p;
    p.steps = 4;
    p.cfg = 1.0;
    SamplingJob job;
    job.sampler.info = &sampler_named("euler");
    ksample(ms, model, Tensor::zeros({1, 4, 4, 4}), p, job);
    EXPECT_EQ(neg, 0);
    SamplingJob pp_job;
    pp_job.sampler.info = &sampler_named("euler_cfg_pp");
    const Tensor pp = ksample(ms, model, Tensor::zeros({1, 4, 4, 4}), p, pp_job);
    EXPECT_EQ(neg, 4);
    EXPECT_GT(max_abs_diff(pp, ksample(ms, model, Tensor::zeros({1, 4, 4, 4}), p, job)), 1e-3) << "the uncond steers CFG++";
}

// Max |sampler(x) - exact flow(x)| for a schedule ending in 0 (exact: the Gaussian ODE map).
double ode_error(const std::string& name, const Sigmas& sigmas, SamplerContext ctx = {}) {
    const double mu = 0.3;
    const Tensor x = start_x(sigmas, mu);
    const Tensor out = sample(sampler_named(name), [&](const Tensor& v, float s) { return gaussian_x0(v, s, mu); }, x, sigmas, ctx);
    const double sT = sigmas[0], s_last = sigmas[sigmas.size() - 2];
    const double f = std::sqrt(kS * kS + s_last * s_last) / std::sqrt(kS * kS + sT * sT) * (kS * kS / (kS * kS + s_last * s_last));
    double err = 0;
    for (int64_t i = 0; i < x.numel(); ++i) err = std::max(err, std::fabs(out.data<float>()[i] - (mu + (x.data<float>()[i] - mu) * f)));
    return err;
}

TEST(Seeds3AndSaSolver, DeterministicModesConverge) {
    const auto ms = ModelSamplingDiscrete::sd1();
    SamplerContext ode;
    ode.eta = 0.0;  // no noise: SEEDS-3 and SA-Solver become ODE solvers
    ode.model_sampling = &ms;
    for (const char* name : {"seeds_3", "sa_solver", "sa_solver_pece"}) {
        SCOPED_TRACE(name);
        const double e10 = ode_error(name, karras_sigmas(10, ms.sigma_min(), ms.sigma_max()), ode);
        const double e40 = ode_error(name, karras_sigmas(40, ms.sigma_min(), ms.sigma_max()), ode);
        EXPECT_LT(e40, 5e-3);
        EXPECT_GT(e10 / e40, 10.0) << e10 << " " << e40;  // at least second order
    }
    // Third order beats SEEDS-2 (second order) at equal steps.
    SamplerContext ode2 = ode;
    const Sigmas s12 = karras_sigmas(12, ms.sigma_min(), ms.sigma_max());
    EXPECT_LT(ode_error("seeds_3", s12, ode), ode_error("seeds_2", s12, ode2));
}

TEST(Seeds3AndSaSolver, StochasticModesHitTheTargetDistribution) {
    const auto ms = ModelSamplingDiscrete::sd1();
    const Sigmas sigmas = karras_sigmas(30, ms.sigma_min(), ms.sigma_max());
    for (const char* name : {"seeds_3", "sa_solver", "sa_solver_pece"}) {
        SCOPED_TRACE(name);
        const double mu = 0.3;
        const Tensor x = start_x(sigmas, mu, 11, 48);
        SamplerContext ctx;
        ctx.seed = 5;
        ctx.model_sampling = &ms;
        int calls = 0;
        const Tensor out = sample(sampler_named(name), [&](const Tensor& v, float s) { ++calls; return gaussian_x0(v, s, mu); }, x, sigmas, ctx);
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < out.numel(); ++i) {
            sum += out.data<float>()[i];
            sq += double(out.data<float>()[i]) * out.data<float>()[i];
        }
        const double mean = sum / out.numel(), sd = std::sqrt(sq / out.numel() - mean * mean);
        EXPECT_NEAR(mean, mu, 0.02);
        EXPECT_NEAR(sd, kS, 0.03);
        // Model calls: SEEDS-3 three per step but one on the last, SA-Solver one, PECE one more per corrected step.
        const int n = 30;
        if (std::string(name) == "seeds_3") EXPECT_EQ(calls, 3 * (n - 1) + 1);
        if (std::string(name) == "sa_solver") EXPECT_EQ(calls, n);
        if (std::string(name) == "sa_solver_pece") EXPECT_EQ(calls, 2 * n - 1);
        // The noise follows the seed.
        SamplerContext other = ctx;
        other.seed = 6;
        const Tensor again = sample(sampler_named(name), [&](const Tensor& v, float s) { return gaussian_x0(v, s, mu); }, x, sigmas, ctx);
        const Tensor moved = sample(sampler_named(name), [&](const Tensor& v, float s) { return gaussian_x0(v, s, mu); }, x, sigmas, other);
        EXPECT_EQ(max_abs_diff(again, out), 0.0);
        EXPECT_GT(max_abs_diff(moved, out), 1e-3);
    }
}

Tensor slice_step(const Tensor& steps, int64_t k) {
    Shape s(steps.shape().begin() + 1, steps.shape().end());
    const int64_t per = shape_numel(s);
    Tensor t = Tensor::zeros(s, DType::F32);
    std::copy(steps.data<float>() + k * per, steps.data<float>() + (k + 1) * per, t.data<float>());
    return t;
}

// sa_solver evaluates the model once per step, so the matrix golden's recorded predictions
// replay it end to end, step noise included.
TEST(Seeds3AndSaSolver, SaSolverReplaysComfyUIsMatrix) {
    const fs::path dir = weft::testing::goldens_dir() / "sd15_tiny_matrix_seed7_64x64";
    WEFT_REQUIRE_PATH(dir / "index.json");
    std::ifstream f(dir / "index.json");
    const auto idx = nlohmann::json::parse(f);
    const Tensor noise = weft::testing::load_npy(dir / "noise.npy");
    const auto ms = ModelSamplingDiscrete::sd1();
    int checked = 0;
    for (const auto& run : idx["runs"]) {
        if (run["sampler"] != "sa_solver" || run["status"] != "success") continue;
        SCOPED_TRACE(run["scheduler"].get<std::string>());
        const Tensor steps_x = weft::testing::load_npy(dir / run["steps_x"].get<std::string>());
        const Tensor steps_x0 = weft::testing::load_npy(dir / run["steps_x0"].get<std::string>());
        const Tensor want = weft::testing::load_npy(dir / run["latent"].get<std::string>());
        // Our own schedule, as a weft run has it: SA-Solver's noise window compares each sigma with
        // percent_to_sigma(0.2 / 0.8) by >=, and "normal" puts a sigma exactly on that boundary,
        // where the last bit decides (ComfyUI computes both through the same function, as we do).
        const Sigmas sigmas = ksampler_sigmas(ms, scheduler_named(run["scheduler"].get<std::string>()), sampler_named("sa_solver"), 6);
        ASSERT_EQ(sigmas.size(), run["sigmas"].size());
        for (size_t i = 0; i < sigmas.size(); ++i) EXPECT_NEAR(sigmas[i], run["sigmas"][i].get<float>(), 1e-6 * (1 + sigmas[i]));
        const Tensor start = ms.noise_scaling(sigmas[0], noise, Tensor::zeros(noise.shape()), ms.is_max_denoise(sigmas[0]));
        int64_t k = 0;
        double worst_x = 0;
        Denoiser D = [&](const Tensor& x, float) {
            EXPECT_LT(k, steps_x0.size(0));
            const Tensor rec = slice_step(steps_x, k);
            worst_x = std::max(worst_x, max_abs_diff(x, rec) / (1e-30 + max_abs(rec)));
            if (std::getenv("WEFT_TEST_VERBOSE")) std::printf("step %lld x err %.3g\n", (long long)k, max_abs_diff(x, rec) / (1e-30 + max_abs(rec)));
            return slice_step(steps_x0, k++);
        };
        SamplerContext ctx;
        ctx.seed = idx["seed"].get<uint64_t>();
        ctx.model_sampling = &ms;
        const Tensor out = sample(sampler_named("sa_solver"), D, start, sigmas, ctx);
        Tensor scaled = tmx::scaled(out, 1.0f / 0.18215f);
        EXPECT_LT(worst_x, 1e-4);
        EXPECT_LT(max_abs_diff(scaled, want) / max_abs(want), 1e-4);
        ++checked;
    }
    EXPECT_EQ(checked, 9);
}

}  // namespace
