// Flow-matching model sampling (ComfyUI's ModelSamplingDiscreteFlow with the CONST type) against
// values worked out by hand from its formulas: sigma(t) = shift*t / (1 + (shift-1)*t) at
// t = timestep / multiplier, timestep(sigma) = sigma * multiplier, x = sigma*noise + (1-sigma)*latent,
// x0 = x - sigma * v, latent = x / (1 - sigma).
#include "sampling/model_sampling.h"

#include <gtest/gtest.h>

#include <vector>

using weft::Tensor;
using namespace weft::models;

namespace {

Tensor vec(std::vector<float> v) { return Tensor::from_vector({static_cast<int64_t>(v.size())}, v); }
float at(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

}  // namespace

TEST(FlowModelSampling, TableIsTheShiftedTimesteps) {
    const auto ms = ModelSamplingDiscrete::flow(3.0);
    EXPECT_TRUE(ms.is_flow());
    EXPECT_EQ(ms.prediction(), Prediction::Const);
    ASSERT_EQ(ms.sigmas().size(), 1000u);
    // t = 0.5: 1.5 / 2 = 0.75; t = 1: 3 / 3 = 1; t = 0.001: 0.003 / 1.002.
    EXPECT_FLOAT_EQ(ms.sigmas()[499], 0.75f);
    EXPECT_FLOAT_EQ(ms.sigma_max(), 1.0f);
    EXPECT_NEAR(ms.sigma_min(), 0.003 / 1.002, 1e-8);
    // t = 0.25: 0.75 / 1.5 = 0.5.
    EXPECT_FLOAT_EQ(ms.sigma(250.0f), 0.5f);
    EXPECT_FLOAT_EQ(ms.timestep(0.75f), 750.0f);
    // Shift 1 is the identity: sigma = t / multiplier.
    const auto plain = ModelSamplingDiscrete::flow(1.0);
    EXPECT_FLOAT_EQ(plain.sigmas()[199], 0.2f);
    // AuraFlow's multiplier 1: timesteps are the sigmas' own scale.
    const auto aura = ModelSamplingDiscrete::flow(3.0, 1.0);
    EXPECT_FLOAT_EQ(aura.sigmas()[499], 0.75f);
    EXPECT_FLOAT_EQ(aura.timestep(0.75f), 0.75f);
    EXPECT_FLOAT_EQ(aura.sigma(0.25f), 0.5f);
}

TEST(FlowModelSampling, PercentToSigma) {
    const auto ms = ModelSamplingDiscrete::flow(3.0);
    EXPECT_EQ(ms.percent_to_sigma(0.0), 1.0);
    EXPECT_EQ(ms.percent_to_sigma(1.0), 0.0);
    // 1 - 0.25 = 0.75: 2.25 / 2.5 = 0.9.
    EXPECT_NEAR(ms.percent_to_sigma(0.25), 0.9, 1e-12);
}

TEST(FlowModelSampling, ConstWrappers) {
    const auto ms = ModelSamplingDiscrete::flow(3.0);
    const Tensor x = vec({1.0f, -2.0f});
    // calculate_input passes x through.
    const Tensor in = ms.calculate_input(0.5f, x);
    EXPECT_EQ(at(in, 0), 1.0f);
    EXPECT_EQ(at(in, 1), -2.0f);
    // x0 = x - sigma * v: 1 - 0.5 * 2 = 0, -2 - 0.5 * (-6) = 1.
    const Tensor x0 = ms.calculate_denoised(0.5f, vec({2.0f, -6.0f}), x);
    EXPECT_FLOAT_EQ(at(x0, 0), 0.0f);
    EXPECT_FLOAT_EQ(at(x0, 1), 1.0f);
    // sigma * noise + (1 - sigma) * latent, whatever max_denoise says: 0.25 * 4 + 0.75 * 2 = 2.5.
    for (bool max_denoise : {false, true}) {
        const Tensor start = ms.noise_scaling(0.25f, vec({4.0f, 0.0f}), vec({2.0f, -4.0f}), max_denoise);
        EXPECT_FLOAT_EQ(at(start, 0), 2.5f);
        EXPECT_FLOAT_EQ(at(start, 1), -3.0f);
    }
    // latent / (1 - sigma): 3 / 0.5 = 6.
    EXPECT_FLOAT_EQ(at(ms.inverse_noise_scaling(0.5f, vec({3.0f, -1.0f})), 0), 6.0f);
    EXPECT_FLOAT_EQ(at(ms.inverse_noise_scaling(0.0f, vec({3.0f, -1.0f})), 1), -1.0f);
}

TEST(FlowModelSampling, DiscreteTablesKeepTheirBehaviour) {
    const auto ms = ModelSamplingDiscrete::sd1();
    EXPECT_FALSE(ms.is_flow());
    // eps: the latent comes back unchanged from model space, and noise_scaling adds sigma * noise.
    const Tensor lat = vec({3.0f, -1.0f});
    const Tensor back = ms.inverse_noise_scaling(0.5f, lat);
    EXPECT_EQ(at(back, 0), 3.0f);
    EXPECT_EQ(at(back, 1), -1.0f);
    EXPECT_FLOAT_EQ(at(ms.noise_scaling(2.0f, vec({1.0f, 1.0f}), lat, false), 0), 5.0f);
    EXPECT_EQ(ms.percent_to_sigma(0.0), 999999999.9);
}
