// sampling/deis.cpp — DEIS multistep ("tab" mode, max order 3) as ComfyUI runs it: the
// sigmas are mapped to VP time with the fixed EDM range (0.002 .. 80, eps 1e-3), and the
// coefficients are Riemann sums (10000 points) of the Lagrange basis times the exponential
// integrator weight; they multiply the sigma-space derivatives (x - D) / sigma.
#include "sampling/sampler_util.h"

#include <vector>

namespace weft::models {

using namespace detail;

namespace {

struct VpTime {
    double beta_0, beta_1, beta_d, beta_min;
    explicit VpTime(double eps_s = 1e-3, double smin = 0.002, double smax = 80.0) {
        beta_d = 2 * (std::log(smin * smin + 1) / eps_s - std::log(smax * smax + 1)) / (eps_s - 1);
        beta_min = std::log(smax * smax + 1) - 0.5 * beta_d;
        beta_0 = beta_min;
        beta_1 = beta_d + beta_min;
    }
    double t(double sigma) const {
        return (std::sqrt(beta_min * beta_min + 2 * beta_d * std::log(sigma * sigma + 1)) - beta_min) / beta_d;
    }
};

std::vector<std::vector<double>> deis_coefficients(const Sigmas& sigmas, int max_order) {
    constexpr int N = 10000;
    const VpTime vp;
    std::vector<double> ts(sigmas.size());
    for (size_t k = 0; k < sigmas.size(); ++k) ts[k] = vp.t(sigmas[k]);
    std::vector<std::vector<double>> C;
    for (size_t i = 0; i + 1 < ts.size(); ++i) {
        const int order = std::min(static_cast<int>(i) + 1, max_order);
        std::vector<double> coeffs;
        if (order > 1) {
            const double a = ts[i], b = ts[i + 1];
            const double dtau = (b - a) / N;
            std::vector<double> prev(static_cast<size_t>(order));
            for (int k = 0; k < order; ++k) prev[static_cast<size_t>(k)] = ts[i - static_cast<size_t>(k)];
            coeffs.assign(static_cast<size_t>(order), 0.0);
            for (int p = 0; p < N; ++p) {
                const double tau = p < N / 2 ? a + (b - a) / (N - 1) * p : b - (b - a) / (N - 1) * (N - 1 - p);
                const double alpha = std::exp(-0.5 * tau * tau * (vp.beta_1 - vp.beta_0) - tau * vp.beta_0);
                const double dlog = -tau * (vp.beta_1 - vp.beta_0) - vp.beta_0;
                const double integrand = -0.5 * dlog / std::sqrt(alpha * (1 - alpha));
                for (int j = 0; j < order; ++j) {
                    double poly = 1.0;
                    for (int k = 0; k < order; ++k)
                        if (k != j) poly *= (tau - prev[static_cast<size_t>(k)]) / (prev[static_cast<size_t>(j)] - prev[static_cast<size_t>(k)]);
                    coeffs[static_cast<size_t>(j)] += integrand * poly;
                }
            }
            for (double& c : coeffs) c *= dtau;
        }
        C.push_back(coeffs);
    }
    return C;
}

}  // namespace

Tensor sample_deis(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    constexpr int max_order = 3;
    const int n = step_count(s);
    const auto C = deis_coefficients(s, max_order);
    std::vector<Tensor> buf;  // previous derivatives, oldest first
    for (int i = 0; i < n; ++i) {
        const double t_cur = s[i], t_next = s[i + 1];
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        const Tensor d = to_d(x, t_cur, den);
        int order = std::min(max_order, i + 1);
        if (t_next <= 0) order = 1;
        Tensor nx;
        if (order == 1) {
            nx = tm::axpby(1.0f, x, float(t_next - t_cur), d);
        } else {
            const auto& c = C[static_cast<size_t>(i)];
            const size_t b = buf.size();
            if (order == 2)
                nx = tm::lincomb({{1.0f, x}, {float(c[0]), d}, {float(c[1]), buf[b - 1]}});
            else
                nx = tm::lincomb({{1.0f, x}, {float(c[0]), d}, {float(c[1]), buf[b - 1]}, {float(c[2]), buf[b - 2]}});
        }
        if (static_cast<int>(buf.size()) == max_order - 1) buf.erase(buf.begin());
        buf.push_back(d);
        x = nx;
    }
    return x;
}

}  // namespace weft::models
