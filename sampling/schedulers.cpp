// sampling/schedulers.cpp — KSampler's schedulers and the k-diffusion sigma generators.
#include "sampling/schedulers.h"

#include <boost/math/special_functions/beta.hpp>

#include <cmath>
#include <numbers>

namespace weft::models {

std::vector<float> linspace_f32(float start, float end, int n) {
    std::vector<float> v(static_cast<size_t>(std::max(n, 0)));
    if (n <= 0) return v;
    if (n == 1) {
        v[0] = start;
        return v;
    }
    const float step = (end - start) / static_cast<float>(n - 1);
    const int half = n / 2;
    for (int i = 0; i < n; ++i)
        v[static_cast<size_t>(i)] = i < half ? start + step * static_cast<float>(i)
                                             : end - step * static_cast<float>(n - 1 - i);
    return v;
}

Sigmas simple_scheduler(const ModelSamplingDiscrete& ms, int steps) {
    const auto& s = ms.sigmas();
    const double ss = static_cast<double>(s.size()) / steps;
    Sigmas out;
    for (int x = 0; x < steps; ++x) out.push_back(s[s.size() - 1 - static_cast<size_t>(x * ss)]);
    out.push_back(0.0f);
    return out;
}

Sigmas ddim_uniform_scheduler(const ModelSamplingDiscrete& ms, int steps) {
    const auto& s = ms.sigmas();
    Sigmas out;
    size_t x = 1;
    if (std::fabs(s[x]) <= 1e-5) ++steps;  // tables that reach 0 already end in it
    else out.push_back(0.0f);
    const size_t ss = std::max<size_t>(s.size() / static_cast<size_t>(steps), 1);
    for (; x < s.size(); x += ss) out.push_back(s[x]);
    return Sigmas(out.rbegin(), out.rend());
}

Sigmas normal_scheduler(const ModelSamplingDiscrete& ms, int steps, bool sgm) {
    const float start = ms.timestep(ms.sigma_max());
    const float end = ms.timestep(ms.sigma_min());
    bool append_zero = true;
    std::vector<float> ts;
    if (sgm) {
        ts = linspace_f32(start, end, steps + 1);
        ts.pop_back();
    } else {
        if (std::fabs(ms.sigma(end)) <= 1e-5) {
            ++steps;
            append_zero = false;
        }
        ts = linspace_f32(start, end, steps);
    }
    Sigmas out;
    for (float t : ts) out.push_back(ms.sigma(t));
    if (append_zero) out.push_back(0.0f);
    return out;
}

Sigmas beta_scheduler(const ModelSamplingDiscrete& ms, int steps, double alpha, double beta) {
    const auto& s = ms.sigmas();
    const double total = static_cast<double>(s.size() - 1);
    Sigmas out;
    double last_t = -1.0;
    const double step = 1.0 / steps;  // numpy linspace(0, 1, steps, endpoint=False)
    for (int i = 0; i < steps; ++i) {
        const double p = 1.0 - static_cast<double>(i) * step;
        const double ppf = p >= 1.0 ? 1.0 : p <= 0.0 ? 0.0 : boost::math::ibeta_inv(alpha, beta, p);
        const double t = std::nearbyint(ppf * total);  // round half to even, as numpy.rint
        if (t != last_t) out.push_back(s[static_cast<size_t>(t)]);
        last_t = t;
    }
    out.push_back(0.0f);
    return out;
}

Sigmas linear_quadratic_scheduler(const ModelSamplingDiscrete& ms, int steps, double threshold_noise,
                                  int linear_steps) {
    std::vector<double> sched;
    if (steps == 1) {
        sched = {1.0, 0.0};
    } else {
        if (linear_steps < 0) linear_steps = steps / 2;
        for (int i = 0; i < linear_steps; ++i) sched.push_back(i * threshold_noise / linear_steps);
        const double diff = linear_steps - threshold_noise * steps;
        const int quad_steps = steps - linear_steps;
        const double quad_coef = diff / (linear_steps * double(quad_steps) * quad_steps);
        const double lin_coef = threshold_noise / linear_steps - 2 * diff / (double(quad_steps) * quad_steps);
        const double c = quad_coef * (double(linear_steps) * linear_steps);
        for (int i = linear_steps; i < steps; ++i) sched.push_back(quad_coef * (double(i) * i) + lin_coef * i + c);
        sched.push_back(1.0);
        for (double& v : sched) v = 1.0 - v;
    }
    Sigmas out;
    for (double v : sched) out.push_back(static_cast<float>(v) * ms.sigma_max());
    return out;
}

Sigmas kl_optimal_scheduler(int steps, float sigma_min, float sigma_max) {
    Sigmas out(static_cast<size_t>(steps) + 1, 0.0f);
    const float a_min = static_cast<float>(std::atan(double(sigma_min)));
    const float a_max = static_cast<float>(std::atan(double(sigma_max)));
    for (int i = 0; i < steps; ++i) {
        const float adj = steps > 1 ? static_cast<float>(i) / static_cast<float>(steps - 1)
                                    : std::numeric_limits<float>::quiet_NaN();  // torch divides by 0
        out[static_cast<size_t>(i)] = std::tan(adj * a_min + (1.0f - adj) * a_max);
    }
    return out;
}

Sigmas karras_sigmas(int steps, double sigma_min, double sigma_max, double rho) {
    const std::vector<float> ramp = linspace_f32(0.0f, 1.0f, steps);
    const double min_inv = std::pow(sigma_min, 1.0 / rho), max_inv = std::pow(sigma_max, 1.0 / rho);
    const float a = static_cast<float>(max_inv), b = static_cast<float>(min_inv - max_inv);
    Sigmas out;
    for (float r : ramp) out.push_back(std::pow(a + r * b, static_cast<float>(rho)));
    out.push_back(0.0f);
    return out;
}

Sigmas exponential_sigmas(int steps, double sigma_min, double sigma_max) {
    Sigmas out;
    for (float v : linspace_f32(static_cast<float>(std::log(sigma_max)), static_cast<float>(std::log(sigma_min)), steps))
        out.push_back(std::exp(v));
    out.push_back(0.0f);
    return out;
}

Sigmas polyexponential_sigmas(int steps, double sigma_min, double sigma_max, double rho) {
    const float lmin = static_cast<float>(std::log(sigma_min));
    const float span = static_cast<float>(std::log(sigma_max) - std::log(sigma_min));
    Sigmas out;
    for (float r : linspace_f32(1.0f, 0.0f, steps)) out.push_back(std::exp(std::pow(r, float(rho)) * span + lmin));
    out.push_back(0.0f);
    return out;
}

Sigmas vp_sigmas(int steps, double beta_d, double beta_min, double eps_s) {
    Sigmas out;
    for (float t : linspace_f32(1.0f, static_cast<float>(eps_s), steps))
        out.push_back(std::sqrt(std::expm1(float(beta_d) * t * t / 2.0f + float(beta_min) * t)));
    out.push_back(0.0f);
    return out;
}

}  // namespace weft::models
