// sampling/k_samplers_euler.cpp — sigma-space ODE samplers: Euler (+ancestral), Heun,
// Heun++, DPM-2 (+ancestral), LMS, iPNDM (+variable step), gradient estimation.
#include "sampling/guidance.h"
#include "sampling/sampler_util.h"

#include <deque>
#include <vector>

namespace weft::models {

using namespace detail;

Tensor sample_euler(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        const Tensor d = to_d(x, s[i], den);
        x = tm::axpby(1.0f, x, s[i + 1] - s[i], d);
    }
    return x;
}

Tensor sample_euler_ancestral(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    NoiseSampler noise = default_noise(ctx, x);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const auto [down, up] = ancestral_step(s[i], s[i + 1], eta);
        report(ctx, i, n, s[i], x, den);
        if (down == 0.0) {
            x = den;
        } else {
            const Tensor d = to_d(x, s[i], den);
            x = tm::lincomb({{1.0f, x}, {static_cast<float>(down - s[i]), d},
                             {static_cast<float>(s_noise * up), noise(s[i], s[i + 1])}});
        }
    }
    return x;
}

Tensor sample_heun(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const Tensor d = to_d(x, s[i], den);
        report(ctx, i, n, s[i], x, den);
        const float dt = s[i + 1] - s[i];
        if (s[i + 1] == 0.0f) {
            x = tm::axpby(1.0f, x, dt, d);
        } else {
            const Tensor x2 = tm::axpby(1.0f, x, dt, d);
            const Tensor d2 = to_d(x2, s[i + 1], D(x2, s[i + 1]));
            x = tm::lincomb({{1.0f, x}, {0.5f * dt, d}, {0.5f * dt, d2}});
        }
    }
    return x;
}

Tensor sample_heunpp2(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    const float s_end = s.back();
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const Tensor d = to_d(x, s[i], den);
        report(ctx, i, n, s[i], x, den);
        const float dt = s[i + 1] - s[i];
        if (s[i + 1] == s_end) {
            x = tm::axpby(1.0f, x, dt, d);
        } else if (s[i + 2] == s_end) {
            const Tensor x2 = tm::axpby(1.0f, x, dt, d);
            const Tensor d2 = to_d(x2, s[i + 1], D(x2, s[i + 1]));
            const double w2 = s[i + 1] / (2.0 * s[0]), w1 = 1.0 - w2;
            x = tm::lincomb({{1.0f, x}, {static_cast<float>(w1 * dt), d}, {static_cast<float>(w2 * dt), d2}});
        } else {
            const Tensor x2 = tm::axpby(1.0f, x, dt, d);
            const Tensor d2 = to_d(x2, s[i + 1], D(x2, s[i + 1]));
            const Tensor x3 = tm::axpby(1.0f, x2, s[i + 2] - s[i + 1], d2);
            const Tensor d3 = to_d(x3, s[i + 2], D(x3, s[i + 2]));
            const double w = 3.0 * s[0], w2 = s[i + 1] / w, w3 = s[i + 2] / w, w1 = 1.0 - w2 - w3;
            x = tm::lincomb({{1.0f, x}, {static_cast<float>(w1 * dt), d}, {static_cast<float>(w2 * dt), d2},
                             {static_cast<float>(w3 * dt), d3}});
        }
    }
    return x;
}

Tensor sample_dpm_2(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const Tensor d = to_d(x, s[i], den);
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = tm::axpby(1.0f, x, s[i + 1] - s[i], d);
        } else {
            const float mid = log_midpoint_sigma(s[i], s[i + 1]);
            const Tensor x2 = tm::axpby(1.0f, x, mid - s[i], d);
            const Tensor d2 = to_d(x2, mid, D(x2, mid));
            x = tm::axpby(1.0f, x, s[i + 1] - s[i], d2);
        }
    }
    return x;
}

Tensor sample_dpm_2_ancestral(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    NoiseSampler noise = default_noise(ctx, x);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const auto [down, up] = ancestral_step(s[i], s[i + 1], eta);
        report(ctx, i, n, s[i], x, den);
        const Tensor d = to_d(x, s[i], den);
        if (down == 0.0) {
            x = tm::axpby(1.0f, x, static_cast<float>(down - s[i]), d);
        } else {
            const float mid = log_midpoint_sigma(s[i], down);
            const Tensor x2 = tm::axpby(1.0f, x, mid - s[i], d);
            const Tensor d2 = to_d(x2, mid, D(x2, mid));
            x = tm::lincomb({{1.0f, x}, {static_cast<float>(down - s[i]), d2},
                             {static_cast<float>(s_noise * up), noise(s[i], s[i + 1])}});
        }
    }
    return x;
}

namespace {

// Integral over [a, b] of the Lagrange basis polynomial j for nodes t[i], t[i-1], ... t[i-order+1].
double lms_coeff(int order, const Sigmas& t, int i, int j) {
    std::vector<double> poly{1.0};  // coefficients, lowest power first
    for (int k = 0; k < order; ++k) {
        if (k == j) continue;
        const double denom = double(t[i - j]) - double(t[i - k]);
        std::vector<double> next(poly.size() + 1, 0.0);
        for (size_t p = 0; p < poly.size(); ++p) {
            next[p + 1] += poly[p] / denom;
            next[p] -= poly[p] * double(t[i - k]) / denom;
        }
        poly = std::move(next);
    }
    const double a = t[i], b = t[i + 1];
    double sum = 0.0;
    for (size_t p = 0; p < poly.size(); ++p)
        sum += poly[p] * (std::pow(b, double(p + 1)) - std::pow(a, double(p + 1))) / double(p + 1);
    return sum;
}

}  // namespace

Tensor sample_lms(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    constexpr int order = 4;
    const int n = step_count(s);
    std::deque<Tensor> ds;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        ds.push_back(to_d(x, s[i], den));
        if (static_cast<int>(ds.size()) > order) ds.pop_front();
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = den;
        } else {
            const int cur = std::min(i + 1, order);
            Tensor acc = x;
            for (int j = 0; j < cur; ++j)
                acc = tm::axpby(1.0f, acc, static_cast<float>(lms_coeff(cur, s, i, j)), ds[ds.size() - 1 - j]);
            x = acc;
        }
    }
    return x;
}

namespace {

// iPNDM / iPNDM-v: multistep with up to three previous derivatives (max order 4).
Tensor ipndm_impl(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx, bool variable) {
    constexpr int max_order = 4;
    const int n = step_count(s);
    std::vector<Tensor> buf;  // previous derivatives, oldest first
    for (int i = 0; i < n; ++i) {
        const double t_cur = s[i], t_next = s[i + 1];
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        const Tensor d = to_d(x, t_cur, den);
        const int order = std::min(max_order, i + 1);
        const double dt = t_next - t_cur;
        Tensor nx;
        if (t_next == 0.0) {
            nx = den;
        } else if (order == 1) {
            nx = tm::axpby(1.0f, x, static_cast<float>(dt), d);
        } else if (!variable) {
            const size_t b = buf.size();
            if (order == 2)
                nx = tm::lincomb({{1.0f, x}, {float(dt * 3 / 2), d}, {float(-dt / 2), buf[b - 1]}});
            else if (order == 3)
                nx = tm::lincomb({{1.0f, x}, {float(dt * 23 / 12), d}, {float(-dt * 16 / 12), buf[b - 1]},
                                  {float(dt * 5 / 12), buf[b - 2]}});
            else
                nx = tm::lincomb({{1.0f, x}, {float(dt * 55 / 24), d}, {float(-dt * 59 / 24), buf[b - 1]},
                                  {float(dt * 37 / 24), buf[b - 2]}, {float(-dt * 9 / 24), buf[b - 3]}});
        } else {
            const size_t b = buf.size();
            const double h_n = dt, h_n_1 = t_cur - s[i - 1];
            if (order == 2) {
                const double c1 = (2 + h_n / h_n_1) / 2, c2 = -(h_n / h_n_1) / 2;
                nx = tm::lincomb({{1.0f, x}, {float(dt * c1), d}, {float(dt * c2), buf[b - 1]}});
            } else if (order == 3) {
                const double h_n_2 = double(s[i - 1]) - s[i - 2];
                const double temp = (1 - h_n / (3 * (h_n + h_n_1)) * (h_n * (h_n + h_n_1)) / (h_n_1 * (h_n_1 + h_n_2))) / 2;
                const double c1 = (2 + h_n / h_n_1) / 2 + temp;
                const double c2 = -(h_n / h_n_1) / 2 - (1 + h_n_1 / h_n_2) * temp;
                const double c3 = temp * h_n_1 / h_n_2;
                nx = tm::lincomb({{1.0f, x}, {float(dt * c1), d}, {float(dt * c2), buf[b - 1]}, {float(dt * c3), buf[b - 2]}});
            } else {
                const double h_n_2 = double(s[i - 1]) - s[i - 2], h_n_3 = double(s[i - 2]) - s[i - 3];
                const double temp1 = (1 - h_n / (3 * (h_n + h_n_1)) * (h_n * (h_n + h_n_1)) / (h_n_1 * (h_n_1 + h_n_2))) / 2;
                const double temp2 = ((1 - h_n / (3 * (h_n + h_n_1))) / 2 +
                                      (1 - h_n / (2 * (h_n + h_n_1))) * h_n / (6 * (h_n + h_n_1 + h_n_2))) *
                                     (h_n * (h_n + h_n_1) * (h_n + h_n_1 + h_n_2)) /
                                     (h_n_1 * (h_n_1 + h_n_2) * (h_n_1 + h_n_2 + h_n_3));
                const double q = h_n_1 * (h_n_1 + h_n_2) / (h_n_2 * (h_n_2 + h_n_3));
                const double c1 = (2 + h_n / h_n_1) / 2 + temp1 + temp2;
                const double c2 = -(h_n / h_n_1) / 2 - (1 + h_n_1 / h_n_2) * temp1 - (1 + h_n_1 / h_n_2 + q) * temp2;
                const double c3 = temp1 * h_n_1 / h_n_2 + (h_n_1 / h_n_2 + q * (1 + h_n_2 / h_n_3)) * temp2;
                const double c4 = -temp2 * q * h_n_1 / h_n_2;
                nx = tm::lincomb({{1.0f, x}, {float(dt * c1), d}, {float(dt * c2), buf[b - 1]},
                                  {float(dt * c3), buf[b - 2]}, {float(dt * c4), buf[b - 3]}});
            }
        }
        if (static_cast<int>(buf.size()) == max_order - 1) buf.erase(buf.begin());
        buf.push_back(d);
        x = nx;
    }
    return x;
}

}  // namespace

Tensor sample_ipndm(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return ipndm_impl(D, std::move(x), s, ctx, false);
}
Tensor sample_ipndm_v(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return ipndm_impl(D, std::move(x), s, ctx, true);
}

namespace {

Tensor gradient_estimation_impl(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx, bool cfg_pp) {
    constexpr double ge_gamma = 2.0;
    const int n = step_count(s);
    Tensor old_d;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        Tensor d;
        if (cfg_pp && ctx.guidance && ctx.guidance->uncond_denoised.defined()) {
            d = to_d(x, s[i], ctx.guidance->uncond_denoised);  // CFG++: direction from the uncond prediction
        } else {
            d = to_d(x, s[i], den);
        }
        report(ctx, i, n, s[i], x, den);
        const float dt = s[i + 1] - s[i];
        if (s[i + 1] == 0.0f) {
            x = den;
        } else {
            x = cfg_pp ? tm::axpby(1.0f, den, s[i + 1], d) : tm::axpby(1.0f, x, dt, d);
            if (i >= 1) x = tm::lincomb({{1.0f, x}, {float((ge_gamma - 1) * dt), d}, {float(-(ge_gamma - 1) * dt), old_d}});
        }
        old_d = d;
    }
    return x;
}

}  // namespace

Tensor sample_gradient_estimation(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return gradient_estimation_impl(D, std::move(x), s, ctx, false);
}
Tensor sample_gradient_estimation_cfg_pp(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return gradient_estimation_impl(D, std::move(x), s, ctx, true);
}

}  // namespace weft::models
