// sampling/sa_solver.cpp — SA-Solver (Xue et al., NeurIPS 2023, arXiv:2309.05019): a
// stochastic Adams predictor-corrector in data-prediction form over the half-log-SNR
// lambda = -log(sigma), as ComfyUI runs it: predictor order 3, corrector order 4, stochasticity
// tau = 1 for sigmas between percent_to_sigma(0.2) and percent_to_sigma(0.8) (else an ODE step),
// orders lowered near the end, "sa_solver_pece" re-evaluating the corrected state.
#include "sampling/sampler_util.h"

#include <cmath>
#include <deque>
#include <vector>

namespace weft::models {

using namespace detail;

namespace {

/// (1 + tau^2) * integral over [s, t] of exp((1 + tau^2) (x - t)) x^p dx for p < order, by the
/// integration-by-parts recursion written as a lower-triangular matrix.
std::vector<double> exponential_coeffs(double s, double t, int order, double tau) {
    const double mul = 1 + tau * tau, h = t - s;
    std::vector<double> prod(static_cast<size_t>(order)), out(static_cast<size_t>(order), 0.0);
    for (int p = 0; p < order; ++p) prod[p] = std::pow(t, p) - std::pow(s, p) * std::exp(-mul * h);
    for (int i = 0; i < order; ++i)
        for (int j = 0; j <= i; ++j) {
            double c = std::lgamma(i + 1.0) - std::lgamma(j + 1.0);
            if (tau > 0) c -= (i - j) * std::log(mul);
            out[i] += ((i - j) % 2 == 0 ? 1.0 : -1.0) * std::exp(c) * prod[j];
        }
    return out;
}

/// Solves a small dense system in place (Gaussian elimination with partial pivoting).
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
    const size_t n = b.size();
    for (size_t c = 0; c < n; ++c) {
        size_t piv = c;
        for (size_t r = c + 1; r < n; ++r)
            if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
        std::swap(a[c], a[piv]);
        std::swap(b[c], b[piv]);
        for (size_t r = c + 1; r < n; ++r) {
            const double f = a[r][c] / a[c][c];
            for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
            b[r] -= f * b[c];
        }
    }
    std::vector<double> x(n);
    for (size_t r = n; r-- > 0;) {
        double v = b[r];
        for (size_t k = r + 1; k < n; ++k) v -= a[r][k] * x[k];
        x[r] = v / a[r][r];
    }
    return x;
}

/// The b_i weights of the stored predictions (oldest first) for a step from lambda_s to lambda_t.
std::vector<double> adams_coeffs(double sigma_next, const std::vector<double>& lambdas, double lambda_s, double lambda_t, double tau,
                                 bool simple_order_2, bool corrector) {
    const int n = static_cast<int>(lambdas.size());
    const double alpha_t = sigma_next * std::exp(lambda_t);
    const double mul = 1 + tau * tau, h = lambda_t - lambda_s;
    if (simple_order_2 && n == 2) {
        if (corrector) {
            const double b1 = alpha_t * (0.5 * mul * h);
            return {alpha_t * -std::expm1(-h * mul) - b1, b1};
        }
        const double b2 = alpha_t * (0.5 * mul * h * h) / (lambdas[0] - lambda_s);
        return {b2, alpha_t * -std::expm1(-h * mul) - b2};
    }
    // Lagrange basis integrals: sum_i lambda_i^j L_i = coeffs_j.
    const std::vector<double> coeffs = exponential_coeffs(lambda_s, lambda_t, n, tau);
    std::vector<std::vector<double>> v(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(n)));
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i) v[j][i] = std::pow(lambdas[i], j);
    std::vector<double> l = solve(std::move(v), coeffs);
    for (double& e : l) e *= alpha_t;
    return l;
}

Tensor weighted(const std::deque<Tensor>& preds, int count, const std::vector<double>& b) {
    Tensor out = Tensor::zeros(preds.back().shape(), DType::F32);
    const size_t first = preds.size() - static_cast<size_t>(count);
    for (int k = 0; k < count; ++k) out = tm::axpby(1.0f, out, float(b[static_cast<size_t>(k)]), preds[first + static_cast<size_t>(k)]);
    return out;
}

Tensor sa_solver_impl(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx, bool pece) {
    constexpr int predictor_order = 3, corrector_order = 4;
    constexpr bool simple_order_2 = false;
    const int n = step_count(s);
    if (n == 0) return x;
    const double s_noise = s_noise_or(ctx, 1.0), eta = eta_or(ctx, 1.0);
    NoiseSampler noise_sampler = default_noise(ctx, x);
    const ModelSamplingDiscrete fallback = ModelSamplingDiscrete::sd1();
    const ModelSamplingDiscrete& ms = ctx.model_sampling ? *ctx.model_sampling : fallback;
    const double start_sigma = ms.percent_to_sigma(0.2), end_sigma = ms.percent_to_sigma(0.8);
    auto tau_of = [&](double sigma) { return eta <= 0 ? 0.0 : (start_sigma >= sigma && sigma >= end_sigma ? eta : 0.0); };

    std::vector<double> lambdas(s.size());
    for (size_t k = 0; k < s.size(); ++k) lambdas[k] = -std::log(double(s[k]));
    const int total = static_cast<int>(s.size());
    const bool lower_order_to_end = s.back() == 0.0f;

    Tensor x_pred = x, noise;
    double h = 0, tau = 0;
    std::deque<Tensor> preds;
    for (int i = 0; i < n; ++i) {
        Tensor den = D(x_pred, s[i]);
        report(ctx, i, n, s[i], x_pred, den);
        preds.push_back(den);
        while (static_cast<int>(preds.size()) > std::max(predictor_order, corrector_order)) preds.pop_front();
        const int have = static_cast<int>(preds.size());
        int p_used = std::min(predictor_order, have);
        int c_used = (i == 0 || (s[i + 1] == 0.0f && !pece)) ? 0 : std::min(corrector_order, have);
        if (lower_order_to_end) {
            p_used = std::min(p_used, total - 2 - i);
            c_used = std::min(c_used, total - 1 - i);
        }
        // Corrector: re-solve the last step with the new prediction included.
        if (c_used == 0) {
            x = x_pred;
        } else {
            const std::vector<double> lam(lambdas.begin() + (i - c_used + 1), lambdas.begin() + i + 1);
            const auto b = adams_coeffs(s[i], lam, lambdas[i - 1], lambdas[i], tau, simple_order_2, true);
            x = tm::axpby(float(double(s[i]) / s[i - 1] * std::exp(-(tau * tau) * h)), x, 1.0f, weighted(preds, c_used, b));
            if (tau > 0 && s_noise > 0) x = tm::axpby(1.0f, x, 1.0f, noise);
            if (pece) {
                den = D(x, s[i]);
                preds.back() = den;
            }
        }
        // Predictor.
        if (s[i + 1] == 0.0f) {
            x_pred = den;
        } else {
            tau = tau_of(s[i + 1]);
            const std::vector<double> lam(lambdas.begin() + (i - p_used + 1), lambdas.begin() + i + 1);
            const auto b = adams_coeffs(s[i + 1], lam, lambdas[i], lambdas[i + 1], tau, simple_order_2, false);
            h = lambdas[i + 1] - lambdas[i];
            x_pred = tm::axpby(float(double(s[i + 1]) / s[i] * std::exp(-(tau * tau) * h)), x, 1.0f, weighted(preds, p_used, b));
            if (tau > 0 && s_noise > 0) {
                noise = tm::scaled(noise_sampler(s[i], s[i + 1]), float(double(s[i + 1]) * std::sqrt(-std::expm1(-2 * tau * tau * h)) * s_noise));
                x_pred = tm::axpby(1.0f, x_pred, 1.0f, noise);
            }
        }
    }
    return x_pred;
}

}  // namespace

Tensor sample_sa_solver(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return sa_solver_impl(D, std::move(x), s, ctx, false);
}
Tensor sample_sa_solver_pece(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return sa_solver_impl(D, std::move(x), s, ctx, true);
}

}  // namespace weft::models
