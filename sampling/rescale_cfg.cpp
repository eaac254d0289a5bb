#include "sampling/rescale_cfg.h"

#include "sampling/tensor_math.h"

#include <cmath>
#include <vector>

namespace weft::models {

namespace {

double bessel_std(const float* v, int64_t n) {
    if (n < 2) return std::nan("");
    double mean = 0;
    for (int64_t i = 0; i < n; ++i) mean += v[i];
    mean /= static_cast<double>(n);
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += (v[i] - mean) * (v[i] - mean);
    return std::sqrt(ss / static_cast<double>(n - 1));
}

}  // namespace

Tensor rescale_cfg(const CfgArgs& a, double multiplier) {
    const Tensor x = tm::f32(a.x), cd = tm::f32(a.cond_denoised), ud = tm::f32(a.uncond_denoised);
    const int64_t n = x.numel();
    const int64_t batch = x.dim() > 0 ? x.size(0) : 1;
    const int64_t per = batch > 0 ? n / batch : 0;
    const float s = a.sigma, s2p1 = s * s + 1.0f, root = std::sqrt(s2p1);
    const float scale = static_cast<float>(a.cond_scale), m = static_cast<float>(multiplier);
    // ComfyUI's args carry cond = x - cond_denoised; the v form is ((x / (s^2 + 1)) - (x - cond)) * sqrt(s^2 + 1) / s.
    std::vector<float> xs(static_cast<size_t>(n)), v_cond(static_cast<size_t>(n)), v_cfg(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const float xi = x.data<float>()[i];
        xs[i] = xi / s2p1;
        const float c = xi - cd.data<float>()[i], u = xi - ud.data<float>()[i];
        v_cond[i] = ((xs[i] - (xi - c)) * root) / s;
        const float v_uncond = ((xs[i] - (xi - u)) * root) / s;
        v_cfg[i] = v_uncond + scale * (v_cond[i] - v_uncond);
    }
    Tensor out = Tensor::zeros(x.shape(), DType::F32);
    float* o = out.data<float>();
    for (int64_t b = 0; b < batch; ++b) {
        const int64_t at = b * per;
        const float ratio = static_cast<float>(bessel_std(v_cond.data() + at, per)) / static_cast<float>(bessel_std(v_cfg.data() + at, per));
        for (int64_t i = at; i < at + per; ++i) {
            const float final_v = m * (v_cfg[i] * ratio) + (1.0f - m) * v_cfg[i];
            const float xi = x.data<float>()[i];
            const float noise_like = xi - (xs[i] - final_v * s / root);  // what ComfyUI's function returns
            o[i] = xi - noise_like;
        }
    }
    return out;
}

}  // namespace weft::models
