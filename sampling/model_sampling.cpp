// sampling/model_sampling.cpp — ModelSamplingDiscrete: the sigma tables (discrete, flow) and the prediction wrappers.
#include "sampling/model_sampling.h"

#include "sampling/tensor_math.h"

#include <weft/error.h>

#include <cmath>

namespace weft::models {

namespace {

// torch.linspace in float64: the first half counts up from start, the second down from end.
std::vector<double> linspace64(double start, double end, int n) {
    std::vector<double> v(static_cast<size_t>(n));
    if (n == 1) {
        v[0] = start;
        return v;
    }
    const double step = (end - start) / static_cast<double>(n - 1);
    const int half = n / 2;
    for (int i = 0; i < n; ++i)
        v[static_cast<size_t>(i)] = i < half ? start + step * i : end - step * (n - 1 - i);
    return v;
}

}  // namespace

ModelSamplingDiscrete::ModelSamplingDiscrete(Prediction prediction, double linear_start, double linear_end,
                                             int timesteps, bool zsnr)
    : prediction_(prediction), zsnr_(zsnr) {
    if (timesteps < 2) throw Error(ErrorCode::InvalidInput, "ModelSamplingDiscrete: needs at least 2 timesteps");
    std::vector<double> betas = linspace64(std::sqrt(linear_start), std::sqrt(linear_end), timesteps);
    std::vector<double> acp(betas.size());
    double prod = 1.0;
    for (size_t i = 0; i < betas.size(); ++i) {
        const double beta = betas[i] * betas[i];
        prod *= 1.0 - beta;
        acp[i] = prod;
    }
    if (zsnr) {
        // Rescale sqrt(alphas_cumprod) so the last step has zero SNR (Lin et al. 2023), then
        // keep a tiny positive value so sigma stays finite.
        std::vector<double> s(acp.size());
        for (size_t i = 0; i < acp.size(); ++i) s[i] = std::sqrt(acp[i]);
        const double s0 = s.front(), st = s.back();
        for (size_t i = 0; i < s.size(); ++i) {
            const double v = (s[i] - st) * s0 / (s0 - st);
            acp[i] = v * v;
        }
        acp.back() = 4.8973451890853435e-08;
    }
    sigmas_.resize(acp.size());
    log_sigmas_.resize(acp.size());
    for (size_t i = 0; i < acp.size(); ++i) {
        const double s = std::sqrt((1.0 - acp[i]) / acp[i]);
        sigmas_[i] = static_cast<float>(s);
        log_sigmas_[i] = static_cast<float>(std::log(s));
    }
}

ModelSamplingDiscrete ModelSamplingDiscrete::sd1(Prediction prediction) {
    return ModelSamplingDiscrete(prediction, 0.00085, 0.012, 1000, false);
}

ModelSamplingDiscrete ModelSamplingDiscrete::sd1_named(const std::string& sampling, bool zsnr) {
    Prediction p;
    if (sampling == "eps") p = Prediction::Eps;
    else if (sampling == "v_prediction") p = Prediction::V;
    else if (sampling == "x0") p = Prediction::X0;
    else if (sampling == "img_to_img") p = Prediction::ImgToImg;
    else if (sampling == "lcm") p = Prediction::Lcm;
    else throw Error(ErrorCode::ValueNotInList, "model sampling '" + sampling + "' is not supported (eps, v_prediction, lcm, x0, img_to_img)");
    ModelSamplingDiscrete ms(p, 0.00085, 0.012, 1000, zsnr);
    if (p == Prediction::Lcm) {
        // Keep every 20th sigma counted back from the last: table index k holds timestep 20k + 19.
        constexpr int kOriginal = 50;
        const int n = static_cast<int>(ms.sigmas_.size());
        ms.skip_ = n / kOriginal;
        std::vector<float> kept(kOriginal);
        for (int x = 0; x < kOriginal; ++x) kept[static_cast<size_t>(kOriginal - 1 - x)] = ms.sigmas_[static_cast<size_t>(n - 1 - x * ms.skip_)];
        ms.sigmas_ = kept;
        ms.log_sigmas_.resize(kept.size());
        for (size_t i = 0; i < kept.size(); ++i) ms.log_sigmas_[i] = std::log(kept[i]);  // float32, as torch logs the kept table
    }
    return ms;
}

ModelSamplingDiscrete ModelSamplingDiscrete::flow(double shift, double multiplier, int timesteps) {
    if (timesteps < 2) throw Error(ErrorCode::InvalidInput, "ModelSamplingDiscreteFlow: needs at least 2 timesteps");
    ModelSamplingDiscrete ms(Prediction::Const, 0.00085, 0.012, 2, false);  // a 2-entry table, replaced below
    ms.flow_ = true;
    ms.shift_ = shift;
    ms.multiplier_ = multiplier;
    ms.sigmas_.resize(static_cast<size_t>(timesteps));
    ms.log_sigmas_.resize(static_cast<size_t>(timesteps));
    for (int i = 0; i < timesteps; ++i) {
        // (arange(1, timesteps + 1) / timesteps) * multiplier, float32 as torch divides and multiplies.
        const float t = static_cast<float>(i + 1) / static_cast<float>(timesteps) * static_cast<float>(multiplier);
        const float s = ms.sigma(t);
        ms.sigmas_[static_cast<size_t>(i)] = s;
        ms.log_sigmas_[static_cast<size_t>(i)] = std::log(s);
    }
    return ms;
}

float ModelSamplingDiscrete::time_snr_shift(double shift, float t) {
    if (shift == 1.0) return t;
    return static_cast<float>(shift) * t / (1.0f + static_cast<float>(shift - 1.0) * t);
}

float ModelSamplingDiscrete::timestep(float sigma) const {
    if (flow_) return sigma * static_cast<float>(multiplier_);
    const float ls = std::log(sigma);
    size_t best = 0;
    float best_d = std::fabs(ls - log_sigmas_[0]);
    for (size_t i = 1; i < log_sigmas_.size(); ++i) {
        const float d = std::fabs(ls - log_sigmas_[i]);
        if (d < best_d) {  // the first of equal distances wins, as argmin
            best_d = d;
            best = i;
        }
    }
    return static_cast<float>(best * static_cast<size_t>(skip_) + static_cast<size_t>(skip_ - 1));
}

float ModelSamplingDiscrete::sigma(float t) const {
    if (flow_) return time_snr_shift(shift_, t / static_cast<float>(multiplier_));
    const float hi_t = static_cast<float>(sigmas_.size() - 1);
    if (skip_ != 1) t = (t - static_cast<float>(skip_ - 1)) / static_cast<float>(skip_);
    t = std::min(std::max(t, 0.0f), hi_t);
    const float lo = std::floor(t), hi = std::ceil(t);
    const float w = t - lo;
    const float ls = (1.0f - w) * log_sigmas_[static_cast<size_t>(lo)] + w * log_sigmas_[static_cast<size_t>(hi)];
    return std::exp(ls);
}

double ModelSamplingDiscrete::percent_to_sigma(double percent) const {
    if (percent <= 0.0) return flow_ ? 1.0 : 999999999.9;
    if (percent >= 1.0) return 0.0;
    if (flow_) {  // Python floats: time_snr_shift in float64
        const double t = 1.0 - percent;
        return shift_ == 1.0 ? t : shift_ * t / (1.0 + (shift_ - 1.0) * t);
    }
    return sigma(static_cast<float>((1.0 - percent) * 999.0));
}

Tensor ModelSamplingDiscrete::calculate_input(float sigma, const Tensor& x) const {
    if (prediction_ == Prediction::ImgToImg || prediction_ == Prediction::Const) return x;
    const float c_in = static_cast<float>(1.0 / std::sqrt(double(sigma) * sigma + sigma_data * sigma_data));
    return tm::scaled(x, c_in);
}

Tensor ModelSamplingDiscrete::calculate_denoised(float sigma, const Tensor& model_output, const Tensor& x) const {
    const double s = sigma, sd = sigma_data;
    if (prediction_ == Prediction::Eps || prediction_ == Prediction::Const) return tm::axpby(1.0f, x, static_cast<float>(-s), model_output);
    if (prediction_ == Prediction::X0 || prediction_ == Prediction::ImgToImg) return tm::f32(model_output);
    if (prediction_ == Prediction::Lcm) {
        // x0 = x - eps * sigma, then c_out * x0 + c_skip * x with sigma_data 0.5 at 10 * timestep.
        const float t = timestep(sigma) * 10.0f;
        const float c_skip = 0.25f / (t * t + 0.25f);
        const float c_out = t / std::sqrt(t * t + 0.25f);
        const Tensor x0 = tm::axpby(1.0f, x, -sigma, model_output);
        return tm::axpby(c_out, x0, c_skip, x);
    }
    // v-prediction: x * sd^2 / (s^2 + sd^2) - v * s * sd / sqrt(s^2 + sd^2)
    const double denom = s * s + sd * sd;
    return tm::axpby(static_cast<float>(sd * sd / denom), x, static_cast<float>(-s * sd / std::sqrt(denom)),
                     model_output);
}

bool ModelSamplingDiscrete::is_max_denoise(float sigma0) const {
    const double mx = sigma_max(), s = sigma0;
    // math.isclose(max, s, rel_tol=1e-5) or s > max
    return std::fabs(mx - s) <= 1e-5 * std::max(std::fabs(mx), std::fabs(s)) || s > mx;
}

Tensor ModelSamplingDiscrete::noise_scaling(float sigma, const Tensor& noise, const Tensor& latent,
                                            bool max_denoise) const {
    if (prediction_ == Prediction::Const) return tm::axpby(sigma, noise, 1.0f - sigma, latent);
    const float scale = max_denoise ? std::sqrt(1.0f + sigma * sigma) : sigma;
    return tm::axpby(scale, noise, 1.0f, latent);
}

Tensor ModelSamplingDiscrete::inverse_noise_scaling(float sigma, const Tensor& latent) const {
    if (prediction_ != Prediction::Const) return latent;
    const Tensor src = tm::f32(latent);
    Tensor out = Tensor::zeros(src.shape(), DType::F32);
    const float d = 1.0f - sigma;  // a division, as torch does it
    for (int64_t i = 0; i < src.numel(); ++i) out.data<float>()[i] = src.data<float>()[i] / d;
    return out;
}

}  // namespace weft::models
