// sampling/model_sampling.h — a model's sampling type as data: its noise table (discrete betas,
// or flow matching with a shift) and the wrappers that turn its network's output (eps, v, x0,
// flow velocity) into a denoised (x0) prediction.
//
//   auto ms = weft::models::ModelSamplingDiscrete::sd1();   // SD1.x: eps, betas 0.00085..0.012
//   float t = ms.timestep(14.614641f);                        // 999 (the UNet's timestep input)
//   Tensor x0 = ms.calculate_denoised(sigma, eps_hat, x);     // x - sigma * eps_hat
//   auto flow = ModelSamplingDiscrete::flow(3.0);             // SD3 / Flux / Wan / LTX style
//
// Discrete tables follow ComfyUI's ModelSamplingDiscrete (sd-models.md §4.1): sigmas computed in
// float64 and stored float32, timestep(sigma) = nearest index in log space, sigma(t) =
// interpolation of the log table. Samplers work in "model space": x = latent * 0.18215 + sigma * noise.
// Flow tables follow ModelSamplingDiscreteFlow with the CONST type: sigma(t) = time_snr_shift(
// shift, t / multiplier), x = sigma * noise + (1 - sigma) * latent.
//
// Thread safety: immutable after construction.
#pragma once

#include <weft/tensor.h>

#include <string>
#include <vector>

namespace weft::models {

/// What the network predicts (ComfyUI's EPS, V_PREDICTION, X0, IMG_TO_IMG = X0 with the raw x as
/// input, LCM = EPS through the consistency-model boundary conditions, and CONST = the flow
/// matching velocity, noise - x0).
enum class Prediction : uint8_t { Eps, V, X0, ImgToImg, Lcm, Const };

class ModelSamplingDiscrete {
public:
    /// "Linear" (really scaled-linear) betas: (linspace(sqrt(start), sqrt(end), timesteps))^2.
    /// `zsnr` rescales the table to zero terminal SNR (ModelSamplingDiscrete node option).
    ModelSamplingDiscrete(Prediction prediction, double linear_start, double linear_end, int timesteps = 1000,
                          bool zsnr = false);
    /// SD1.x / SD2-base: eps (or v for SD2-768), 0.00085 .. 0.012, 1000 steps.
    static ModelSamplingDiscrete sd1(Prediction prediction = Prediction::Eps);
    /// The ModelSamplingDiscrete node's choice: "eps", "v_prediction", "lcm", "x0", "img_to_img"
    /// over the SD1 schedule. "lcm" keeps the 50 distilled timesteps 19, 39, ..., 999
    /// (ModelSamplingDiscreteDistilled). Throws weft::Error (value_not_in_list) otherwise.
    static ModelSamplingDiscrete sd1_named(const std::string& sampling, bool zsnr = false);
    /// ComfyUI's ModelSamplingDiscreteFlow with the CONST type (ModelSamplingSD3: multiplier
    /// 1000; ModelSamplingAuraFlow: multiplier 1): the table holds sigma(i / timesteps *
    /// multiplier) for i = 1 .. timesteps, in float32 as torch computes it.
    static ModelSamplingDiscrete flow(double shift, double multiplier = 1000.0, int timesteps = 1000);

    /// time_snr_shift(shift, t) = shift * t / (1 + (shift - 1) * t) (t itself when shift is 1),
    /// in float32 as torch computes it on a float32 t.
    static float time_snr_shift(double shift, float t);

    Prediction prediction() const { return prediction_; }
    bool zsnr() const { return zsnr_; }
    /// Whether the table is a flow-matching one (ModelSamplingDiscreteFlow).
    bool is_flow() const { return flow_; }
    /// The flow table's shift and timestep multiplier (1 and 1000 for discrete tables).
    double shift() const { return shift_; }
    double multiplier() const { return multiplier_; }
    /// Timesteps between two table entries (20 for the LCM-distilled table, else 1).
    int skip_steps() const { return skip_; }
    /// The float32 sigma table, ascending (index = timestep).
    const std::vector<float>& sigmas() const { return sigmas_; }
    const std::vector<float>& log_sigmas() const { return log_sigmas_; }
    float sigma_min() const { return sigmas_.front(); }
    float sigma_max() const { return sigmas_.back(); }
    static constexpr float sigma_data = 1.0f;

    /// Discrete: the table index nearest to `sigma` in log space (an integer, returned as float).
    /// Flow: sigma * multiplier.
    float timestep(float sigma) const;
    /// Discrete: interpolates the log table at (clamped) timestep `t`. Flow: time_snr_shift(shift, t / multiplier).
    float sigma(float t) const;
    /// Start/end-percent to sigma: <= 0 -> 999999999.9 (flow: 1), >= 1 -> 0.
    double percent_to_sigma(double percent) const;

    /// The network input: x / sqrt(sigma^2 + sigma_data^2); x itself for IMG_TO_IMG and CONST.
    Tensor calculate_input(float sigma, const Tensor& x) const;
    /// The denoised prediction from the network output (eps, v, x0, velocity) and its input x.
    Tensor calculate_denoised(float sigma, const Tensor& model_output, const Tensor& x) const;
    /// Whether sampling starting at `sigma0` is a full denoise (sigma0 >= sigma_max, rel. 1e-5).
    bool is_max_denoise(float sigma0) const;
    /// The starting x: latent + noise * (max_denoise ? sqrt(1 + sigma^2) : sigma); CONST:
    /// sigma * noise + (1 - sigma) * latent.
    Tensor noise_scaling(float sigma, const Tensor& noise, const Tensor& latent, bool max_denoise) const;
    /// The sampled latent back from model space at the last sigma: latent itself; CONST:
    /// latent / (1 - sigma).
    Tensor inverse_noise_scaling(float sigma, const Tensor& latent) const;

private:
    Prediction prediction_;
    bool zsnr_ = false;
    bool flow_ = false;
    double shift_ = 1.0, multiplier_ = 1000.0;
    int skip_ = 1;
    std::vector<float> sigmas_;
    std::vector<float> log_sigmas_;
};

}  // namespace weft::models
