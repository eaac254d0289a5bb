// Samplers replayed against real ComfyUI runs: the matrix/img2img goldens store, for every step,
// the x the sampler called back with and the CFG-combined x0 the model returned. A "replay
// denoiser" returns those x0 in call order, so every sampler that calls the model once per step
// can be checked end to end (step noise, Brownian tree and all) without the networks.
#include "sampling/model_sampling.h"
#include "sampling/sampler_catalog.h"

#include "models_test_util.h"
#include "npy.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <cstdio>
#include <cstdlib>
#include <set>

using namespace weft;
using namespace weft::models;
namespace fs = std::filesystem;

namespace {

// Largest |a - b| over the largest |b| (the latents span orders of magnitude, so a plain
// element-wise relative error would be dominated by values near zero).
double rel_err(const float* a, const float* b, int64_t n) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; ++i) {
        num = std::max(num, double(std::fabs(a[i] - b[i])));
        den = std::max(den, double(std::fabs(b[i])));
    }
    return num / std::max(den, 1e-30);
}

Tensor slice_step(const Tensor& steps, int64_t k) {
    Shape s(steps.shape().begin() + 1, steps.shape().end());
    const int64_t per = shape_numel(s);
    Tensor t = Tensor::zeros(s, DType::F32);
    std::copy(steps.data<float>() + k * per, steps.data<float>() + (k + 1) * per, t.data<float>());
    return t;
}

// Samplers that call the model exactly once per step, so the recorded x0 replay their calls.
const std::set<std::string> kSingleEval{
    "euler", "ddim", "euler_ancestral", "lms", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu",
    "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm",
    "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_ancestral", "gradient_estimation",
    "er_sde", "uni_pc", "uni_pc_bh2"};
// ComfyUI's callback reports something other than the model input for these (ipndm/deis pass the
// initial x, uni_pc its VP-space state), so only their x0 replay and final result are compared.
const std::set<std::string> kCallbackXDiffers{"ipndm", "ipndm_v", "deis", "uni_pc", "uni_pc_bh2"};

struct ReplayResult {
    double step_x_err = 0;   // worst relative error of the denoiser inputs vs the recorded x
    double final_err = 0;    // relative error of final / 0.18215 vs samples.npy
    int calls = 0;
    std::vector<Tensor> inputs;  // the x of every model call
};

// `perturb`: the x0 of one call (`perturb_call`) is scaled by (1 + perturb), to measure how much a
// pair amplifies a difference in one model output.
ReplayResult replay(const fs::path& dir, const nlohmann::json& run, const Tensor& noise, const Tensor& latent_in,
                    uint64_t seed, bool check_x, double perturb = 0.0, int perturb_call = 0) {
    const Tensor steps_x = weft::testing::load_npy(dir / run["steps_x"].get<std::string>());
    const Tensor steps_x0 = weft::testing::load_npy(dir / run["steps_x0"].get<std::string>());
    const Tensor want = weft::testing::load_npy(dir / run["latent"].get<std::string>());
    Sigmas sigmas;
    for (const auto& v : run["sigmas"]) sigmas.push_back(v.get<float>());
    const auto ms = ModelSamplingDiscrete::sd1();
    const Tensor start = ms.noise_scaling(sigmas[0], noise, latent_in, ms.is_max_denoise(sigmas[0]));

    ReplayResult r;
    const int64_t n_rec = steps_x0.size(0);
    Denoiser D = [&](const Tensor& x, float) {
        if (r.calls >= n_rec) throw std::runtime_error("more model calls than recorded steps");
        r.inputs.push_back(x.contiguous().clone());
        if (check_x) {
            const Tensor rec = slice_step(steps_x, r.calls);
            r.step_x_err = std::max(r.step_x_err, rel_err(x.data<float>(), rec.data<float>(), x.numel()));
        }
        Tensor x0 = slice_step(steps_x0, r.calls);
        if (perturb > 0 && r.calls == perturb_call)
            for (int64_t i = 0; i < x0.numel(); ++i) x0.data<float>()[i] *= 1.0f + float(perturb);
        ++r.calls;
        return x0;
    };
    SamplerContext ctx;
    ctx.seed = seed;
    ctx.model_sampling = &ms;
    const Tensor out = sample(sampler_named(run["sampler"].get<std::string>()), D, start, sigmas, ctx);
    std::vector<float> scaled(static_cast<size_t>(out.numel()));
    for (int64_t i = 0; i < out.numel(); ++i) scaled[static_cast<size_t>(i)] = out.data<float>()[i] / 0.18215f;
    r.final_err = rel_err(scaled.data(), want.data<float>(), want.numel());
    EXPECT_EQ(r.calls, n_rec) << "model calls vs recorded steps";
    return r;
}

void run_dir(const fs::path& dir, bool img2img) {
    std::ifstream f(dir / "index.json");
    const auto idx = nlohmann::json::parse(f);
    const uint64_t seed = idx["seed"].get<uint64_t>();
    const Tensor noise = weft::testing::load_npy(dir / "noise.npy");
    Tensor latent_in = Tensor::zeros(noise.shape(), DType::F32);
    if (img2img) {
        const Tensor l = weft::testing::load_npy(dir / "latent_in.npy");
        for (int64_t i = 0; i < l.numel(); ++i) latent_in.data<float>()[i] = l.data<float>()[i] * 0.18215f;
    }
    int checked = 0;
    for (const auto& run : idx["runs"]) {
        const std::string sampler = run["sampler"], scheduler = run["scheduler"];
        if (!kSingleEval.count(sampler) || run["status"] != "success") continue;
        SCOPED_TRACE(sampler + "/" + scheduler);
        const bool check_x = !kCallbackXDiffers.count(sampler);
        const ReplayResult r = replay(dir, run, noise, latent_in, seed, check_x);
        if (std::getenv("WEFT_TEST_VERBOSE")) std::printf("%s/%s x %.2e final %.2e\n", sampler.c_str(), scheduler.c_str(), r.step_x_err, r.final_err);
        // One badly conditioned pair amplifies rounding (see goldens/README.md).
        const double tol = (sampler == "ipndm_v" && scheduler == "linear_quadratic") ? 1e-2 : 1e-4;
        EXPECT_LT(r.step_x_err, tol);
        EXPECT_LT(r.final_err, tol);
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

TEST(SamplersGolden, MatrixSingleEvalSamplersReplay) {
    const fs::path dir = weft::testing::goldens_dir() / "sd15_tiny_matrix_seed7_64x64";
    WEFT_REQUIRE_PATH(dir / "index.json");
    run_dir(dir, false);
}

TEST(SamplersGolden, LinearQuadraticMultistepPairsAmplifyModelDifferences) {
    // The pairs the end-to-end matrix test bounds more loosely (tests/cli/test_sd15_golden.cpp):
    // a 1e-5 relative change of one model output (the size of the difference between two correct
    // UNet implementations; ComfyUI against itself on 1 vs 2 threads differs by 4e-6) moves their
    // next model inputs by more than 1e-4 (the first steps of linear_quadratic are 0.12 apart and
    // the next is 1.7 long, so multistep extrapolation weighs each output by hundreds); in a real run
    // those inputs go through the network again. A well-conditioned pair moves them by about 1e-5.
    const fs::path dir = weft::testing::goldens_dir() / "sd15_tiny_matrix_seed7_64x64";
    WEFT_REQUIRE_PATH(dir / "index.json");
    std::ifstream f(dir / "index.json");
    const auto idx = nlohmann::json::parse(f);
    const Tensor noise = weft::testing::load_npy(dir / "noise.npy");
    const Tensor zeros = Tensor::zeros(noise.shape(), DType::F32);
    auto sensitivity = [&](const std::string& sampler, const std::string& scheduler) {
        for (const auto& run : idx["runs"])
            if (run["sampler"] == sampler && run["scheduler"] == scheduler) {
                const ReplayResult base = replay(dir, run, noise, zeros, idx["seed"].get<uint64_t>(), false);
                // How far the next model inputs move: in a real run they feed the network again.
                double moved = 0;
                for (int call = 0; call < 5; ++call) {
                    const ReplayResult p = replay(dir, run, noise, zeros, idx["seed"].get<uint64_t>(), false, 1e-5, call);
                    for (size_t k = 0; k < p.inputs.size(); ++k)
                        moved = std::max(moved, rel_err(p.inputs[k].data<float>(), base.inputs[k].data<float>(), p.inputs[k].numel()));
                }
                if (std::getenv("WEFT_TEST_VERBOSE")) std::printf("%s/%s %.3g\n", sampler.c_str(), scheduler.c_str(), moved);
                EXPECT_LT(base.final_err, 1e-4) << sampler;  // the sampler's own math matches
                return moved;
            }
        ADD_FAILURE() << "no run " << sampler << "/" << scheduler;
        return 0.0;
    };
    for (const char* s : {"lms", "deis", "er_sde", "ipndm_v"}) EXPECT_GT(sensitivity(s, "linear_quadratic"), 1e-4) << s;
    EXPECT_LT(sensitivity("euler", "linear_quadratic"), 2e-5);
    EXPECT_LT(sensitivity("lms", "karras"), 2e-5);
}

TEST(SamplersGolden, Img2ImgReplay) {
    const fs::path dir = weft::testing::goldens_dir() / "sd15_tiny_img2img_d0.5_seed7_64x64";
    WEFT_REQUIRE_PATH(dir / "index.json");
    run_dir(dir, true);
}

TEST(SamplersGolden, EulerSeed42RunsReplay) {
    // The three original runs (seed 42, euler/normal, 4 steps) through the same path.
    for (const char* name : {"sd15_tiny_seed42_64x64", "sd15_tiny_seed42_96x64", "sd15_full_seed42_64x64"}) {
        const fs::path dir = weft::testing::goldens_dir() / name;
        WEFT_REQUIRE_PATH(dir / "sigmas.npy");
        SCOPED_TRACE(name);
        const auto sig = weft::testing::npy_floats(dir / "sigmas.npy");
        const Tensor noise = weft::testing::load_npy(dir / "noise.npy");
        const auto ms = ModelSamplingDiscrete::sd1();
        const Sigmas sigmas(sig.begin(), sig.end());
        const Tensor x = ms.noise_scaling(sigmas[0], noise, Tensor::zeros(noise.shape()), true);
        int k = 0;
        double worst = 0;
        Denoiser D = [&](const Tensor& xin, float) {
            const Tensor rx = weft::testing::load_npy(dir / ("step" + std::to_string(k) + "_x.npy"));
            worst = std::max(worst, rel_err(xin.data<float>(), rx.data<float>(), rx.numel()));
            return weft::testing::load_npy(dir / ("step" + std::to_string(k++) + "_x0.npy"));
        };
        const Tensor out = sample(sampler_named("euler"), D, x, sigmas);
        const Tensor want = weft::testing::load_npy(dir / "samples.npy");
        std::vector<float> scaled(static_cast<size_t>(out.numel()));
        for (int64_t i = 0; i < out.numel(); ++i) scaled[static_cast<size_t>(i)] = out.data<float>()[i] / 0.18215f;
        EXPECT_EQ(k, 4);
        EXPECT_LT(worst, 1e-5);
        EXPECT_LT(rel_err(scaled.data(), want.data<float>(), want.numel()), 1e-5);
    }
}

}  // namespace
