// sampling/dpm_solver.cpp — DPM-Solver fast (fixed orders 3/2/1 over nfe evaluations) and
// adaptive (embedded 2/3 pair with a PID step controller), eta = 0, in t = -log(sigma). Both run
// from sigmas[0] to the last positive sigma only (ComfyUI ignores the rest of the schedule).
#include "sampling/sampler_util.h"

#include <array>
#include <map>
#include <string>

namespace weft::models {

using namespace detail;

namespace {

struct DpmSolver {
    const Denoiser& D;
    std::map<std::string, Tensor> cache;  // eps at the stage points of the current step
    int evals = 0;

    static double sigma(double t) { return std::exp(-t); }

    const Tensor& eps(const std::string& key, const Tensor& x, double t) {
        auto it = cache.find(key);
        if (it != cache.end()) return it->second;
        const double s = sigma(t);
        const Tensor den = D(x, static_cast<float>(s));
        ++evals;
        return cache[key] = tm::lincomb({{float(1.0 / s), x}, {float(-1.0 / s), den}});
    }

    Tensor step1(const Tensor& x, double t, double tn) {
        const double h = tn - t;
        return tm::axpby(1.0f, x, float(-sigma(tn) * std::expm1(h)), eps("eps", x, t));
    }
    Tensor step2(const Tensor& x, double t, double tn, double r1 = 0.5) {
        const double h = tn - t;
        const Tensor e = eps("eps", x, t);
        const double s1 = t + r1 * h;
        const Tensor u1 = tm::axpby(1.0f, x, float(-sigma(s1) * std::expm1(r1 * h)), e);
        const Tensor e1 = eps("eps_r1", u1, s1);
        const double a = sigma(tn) * std::expm1(h), b = sigma(tn) / (2 * r1) * std::expm1(h);
        return tm::lincomb({{1.0f, x}, {float(-a + b), e}, {float(-b), e1}});
    }
    Tensor step3(const Tensor& x, double t, double tn, double r1 = 1.0 / 3, double r2 = 2.0 / 3) {
        const double h = tn - t;
        const Tensor e = eps("eps", x, t);
        const double s1 = t + r1 * h, s2 = t + r2 * h;
        const Tensor u1 = tm::axpby(1.0f, x, float(-sigma(s1) * std::expm1(r1 * h)), e);
        const Tensor e1 = eps("eps_r1", u1, s1);
        const double c2 = sigma(s2) * (r2 / r1) * (std::expm1(r2 * h) / (r2 * h) - 1);
        const Tensor u2 = tm::lincomb({{1.0f, x}, {float(-sigma(s2) * std::expm1(r2 * h) + c2), e}, {float(-c2), e1}});
        const Tensor e2 = eps("eps_r2", u2, s2);
        const double a = sigma(tn) * std::expm1(h), b = sigma(tn) / r2 * (std::expm1(h) / h - 1);
        return tm::lincomb({{1.0f, x}, {float(-a + b), e}, {float(-b), e2}});
    }
};

// The last positive sigma of the schedule (ComfyUI's sigma_min for these two samplers).
float last_positive(const Sigmas& s) { return s.back() == 0.0f ? s[s.size() - 2] : s.back(); }

}  // namespace

Tensor sample_dpm_fast(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    if (s.size() <= 1) return x;
    const int nfe = static_cast<int>(s.size()) - 1;
    const float t_start = -std::log(s[0]), t_end = -std::log(last_positive(s));
    const int m = nfe / 3 + 1;
    const std::vector<float> ts = linspace_f32(t_start, t_end, m + 1);
    std::vector<int> orders;
    if (nfe % 3 == 0) {
        orders.assign(static_cast<size_t>(std::max(m - 2, 0)), 3);
        orders.push_back(2);
        orders.push_back(1);
    } else {
        orders.assign(static_cast<size_t>(m - 1), 3);
        orders.push_back(nfe % 3);
    }
    DpmSolver solver{D, {}, 0};
    const int n = static_cast<int>(orders.size());
    for (int i = 0; i < n; ++i) {
        solver.cache.clear();
        const double t = ts[static_cast<size_t>(i)], tn = ts[static_cast<size_t>(i) + 1];
        const Tensor& e = solver.eps("eps", x, t);
        const Tensor den = tm::axpby(1.0f, x, float(-DpmSolver::sigma(t)), e);
        report(ctx, i, n, static_cast<float>(DpmSolver::sigma(t)), x, den);
        const int o = orders[static_cast<size_t>(i)];
        x = o == 1 ? solver.step1(x, t, tn) : o == 2 ? solver.step2(x, t, tn) : solver.step3(x, t, tn);
    }
    return x;
}

Tensor sample_dpm_adaptive(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    if (s.size() <= 1) return x;
    const float t_start = -std::log(s[0]), t_end = -std::log(last_positive(s));
    constexpr double rtol = 0.05, atol = 0.0078, accept_safety = 0.81, order = 3;
    // PID controller with pcoeff 0, icoeff 1, dcoeff 0: factor = 1 + atan(inv_err^(1/order) - 1).
    double h = 0.05;
    DpmSolver solver{D, {}, 0};
    float sv = t_start;
    Tensor x_prev = x;
    int steps = 0;
    const int nominal = static_cast<int>(s.size()) - 1;
    while (sv < t_end - 1e-5f) {
        solver.cache.clear();
        const float t = std::min(t_end, static_cast<float>(sv + h));
        const Tensor& e = solver.eps("eps", x, sv);
        const Tensor den = tm::axpby(1.0f, x, float(-DpmSolver::sigma(sv)), e);
        const Tensor x_low = solver.step2(x, sv, t, 1.0 / 3);
        const Tensor x_high = solver.step3(x, sv, t);
        double sq = 0;
        for (int64_t i = 0; i < x.numel(); ++i) {
            const double delta = std::max(atol, rtol * std::max(std::fabs(double(x_low.data<float>()[i])),
                                                                 std::fabs(double(x_prev.data<float>()[i]))));
            const double r = (double(x_low.data<float>()[i]) - x_high.data<float>()[i]) / delta;
            sq += r * r;
        }
        const double error = std::sqrt(sq) / std::sqrt(double(x.numel()));
        const double inv = 1.0 / (error + 1e-8);
        const double factor = 1.0 + std::atan(std::pow(inv, 1.0 / order) - 1.0);
        const bool accept = factor >= accept_safety;
        h *= factor;
        if (accept) {
            x_prev = x_low;
            x = x_high;
            sv = t;
        }
        ++steps;
        report(ctx, std::min(steps - 1, nominal - 1), nominal, static_cast<float>(DpmSolver::sigma(sv)), x, den);
        if (steps > 100000) throw Error(ErrorCode::InternalError, "dpm_adaptive did not converge");
    }
    return x;
}

}  // namespace weft::models
