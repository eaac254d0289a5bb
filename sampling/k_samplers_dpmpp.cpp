// sampling/k_samplers_dpmpp.cpp — exponential-integrator samplers in log-SNR time:
// DPM-Solver++ (2S ancestral, SDE, 2M, 2M SDE, 3M SDE), RES multistep, ER-SDE, SEEDS-2 /
// exponential Heun. Written for eps/v models (half log-SNR lambda = -log sigma, alpha = 1).
#include "sampling/guidance.h"
#include "sampling/sampler_util.h"

#include <vector>

namespace weft::models {

using namespace detail;

Tensor sample_dpmpp_2s_ancestral(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    NoiseSampler noise = default_noise(ctx, x);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        const auto [down, up] = ancestral_step(s[i], s[i + 1], eta);
        report(ctx, i, n, s[i], x, den);
        if (down == 0.0) {
            const Tensor d = to_d(x, s[i], den);
            x = tm::axpby(1.0f, x, static_cast<float>(down - s[i]), d);
        } else {
            const double t = -std::log(double(s[i])), t_next = -std::log(down);
            const double h = t_next - t, sm = t + 0.5 * h;
            const Tensor x2 = tm::axpby(float(std::exp(-sm) / std::exp(-t)), x, float(-std::expm1(-0.5 * h)), den);
            const Tensor den2 = D(x2, half_log_step_sigma(s[i], down));
            x = tm::axpby(float(std::exp(-t_next) / std::exp(-t)), x, float(-std::expm1(-h)), den2);
        }
        if (s[i + 1] > 0.0f) x = tm::axpby(1.0f, x, static_cast<float>(s_noise * up), noise(s[i], s[i + 1]));
    }
    return x;
}

Tensor sample_dpmpp_sde(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    if (n == 0) return x;
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    constexpr float r = 0.5f;
    const double fac = 1.0 / (2.0 * r);
    NoiseSampler noise = brownian_noise(ctx, x, s);
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = den;
            continue;
        }
        // float32 like the tensors ComfyUI computes them with: sigma_s_1 also feeds the noise query.
        const float ls = -std::log(s[i]), lt = -std::log(s[i + 1]);
        const float h = lt - ls;
        const float ls1 = ls + r * h;
        const float sigma_s1 = std::exp(-ls1);
        const double alpha_s = double(s[i]) * std::exp(double(ls)), alpha_s1 = double(sigma_s1) * std::exp(double(ls1));
        const double alpha_t = double(s[i + 1]) * std::exp(double(lt));
        // Step 1
        auto [sd, su] = ancestral_step(std::exp(-double(ls)), std::exp(-double(ls1)), eta);
        double h_ = -std::log(sd) - ls;
        Tensor x2 = tm::axpby(float(alpha_s1 / alpha_s * std::exp(-h_)), x, float(-alpha_s1 * std::expm1(-h_)), den);
        if (eta > 0 && s_noise > 0) x2 = tm::axpby(1.0f, x2, float(alpha_s1 * s_noise * su), noise(s[i], sigma_s1));
        const Tensor den2 = D(x2, sigma_s1);
        // Step 2
        std::tie(sd, su) = ancestral_step(std::exp(-double(ls)), std::exp(-double(lt)), eta);
        h_ = -std::log(sd) - ls;
        const float c = float(-alpha_t * std::expm1(-h_));
        x = tm::lincomb({{float(alpha_t / alpha_s * std::exp(-h_)), x}, {float(c * (1 - fac)), den}, {float(c * fac), den2}});
        if (eta > 0 && s_noise > 0) x = tm::axpby(1.0f, x, float(alpha_t * s_noise * su), noise(s[i], s[i + 1]));
    }
    return x;
}

Tensor sample_dpmpp_2m(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    Tensor old;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = den;  // sigma_next = 0: h = inf, the update reduces to the denoised prediction
        } else {
            const double t = -std::log(double(s[i])), t_next = -std::log(double(s[i + 1]));
            const double h = t_next - t;
            const float ratio = float(double(s[i + 1]) / s[i]), c = float(-std::expm1(-h));
            if (!old.defined()) {
                x = tm::axpby(ratio, x, c, den);
            } else {
                const double h_last = t + std::log(double(s[i - 1]));
                const double q = 1.0 / (2.0 * (h_last / h));
                x = tm::lincomb({{ratio, x}, {float(c * (1 + q)), den}, {float(-c * q), old}});
            }
        }
        old = den;
    }
    return x;
}

namespace {

Tensor dpmpp_2m_sde_impl(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx, bool heun) {
    const int n = step_count(s);
    if (n == 0) return x;
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    NoiseSampler noise = brownian_noise(ctx, x, s);
    Tensor old;
    double h = 0, h_last = 0;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = den;
        } else {
            const double ls = -std::log(double(s[i])), lt = -std::log(double(s[i + 1]));
            h = lt - ls;
            const double h_eta = h * (eta + 1);
            const double alpha_t = double(s[i + 1]) * std::exp(lt);
            const double em = -std::expm1(-h_eta);
            x = tm::axpby(float(double(s[i + 1]) / s[i] * std::exp(-h * eta)), x, float(alpha_t * em), den);
            if (old.defined()) {
                const double r = h_last / h;
                const double c = heun ? alpha_t * (em / (-h_eta) + 1) / r : 0.5 * alpha_t * em / r;
                x = tm::lincomb({{1.0f, x}, {float(c), den}, {float(-c), old}});
            }
            if (eta > 0 && s_noise > 0)
                x = tm::axpby(1.0f, x, float(double(s[i + 1]) * std::sqrt(-std::expm1(-2 * h * eta)) * s_noise),
                              noise(s[i], s[i + 1]));
        }
        old = den;
        h_last = h;
    }
    return x;
}

}  // namespace

Tensor sample_dpmpp_2m_sde(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return dpmpp_2m_sde_impl(D, std::move(x), s, ctx, false);
}
Tensor sample_dpmpp_2m_sde_heun(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return dpmpp_2m_sde_impl(D, std::move(x), s, ctx, true);
}

Tensor sample_dpmpp_3m_sde(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    if (n == 0) return x;
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    NoiseSampler noise = brownian_noise(ctx, x, s);
    Tensor den1, den2;
    double h = 0, h1 = 0, h2 = 0;
    bool have_h1 = false, have_h2 = false;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        bool h_set = false;
        if (s[i + 1] == 0.0f) {
            x = den;
        } else {
            const double ls = -std::log(double(s[i])), lt = -std::log(double(s[i + 1]));
            h = lt - ls;
            h_set = true;
            const double h_eta = h * (eta + 1);
            const double alpha_t = double(s[i + 1]) * std::exp(lt);
            x = tm::axpby(float(double(s[i + 1]) / s[i] * std::exp(-h * eta)), x, float(alpha_t * -std::expm1(-h_eta)), den);
            const double phi2 = std::expm1(-h_eta) / h_eta + 1;
            if (have_h2) {
                const double r0 = h1 / h, r1 = h2 / h;
                // d1_0 = (den - den1)/r0, d1_1 = (den1 - den2)/r1,
                // d1 = d1_0 + (d1_0 - d1_1) r0/(r0+r1), d2 = (d1_0 - d1_1)/(r0+r1)
                const double phi3 = phi2 / h_eta - 0.5;
                const double a = 1 / r0, b = 1 / r1, k = r0 / (r0 + r1), m = 1 / (r0 + r1);
                // coefficients of den, den1, den2 in d1 and d2
                const double d1_den = a + a * k, d1_den1 = -a - (a + b) * k, d1_den2 = b * k;
                const double d2_den = a * m, d2_den1 = -(a + b) * m, d2_den2 = b * m;
                const double p = alpha_t * phi2, q = alpha_t * phi3;
                x = tm::lincomb({{1.0f, x}, {float(p * d1_den - q * d2_den), den}, {float(p * d1_den1 - q * d2_den1), den1},
                                 {float(p * d1_den2 - q * d2_den2), den2}});
            } else if (have_h1) {
                const double r = h1 / h;
                const double c = alpha_t * phi2 / r;
                x = tm::lincomb({{1.0f, x}, {float(c), den}, {float(-c), den1}});
            }
            if (eta > 0 && s_noise > 0)
                x = tm::axpby(1.0f, x, float(double(s[i + 1]) * std::sqrt(-std::expm1(-2 * h * eta)) * s_noise),
                              noise(s[i], s[i + 1]));
        }
        den2 = den1;
        den1 = den;
        // h_1, h_2 = h, h_1 (h keeps its last value on the final step, as in ComfyUI)
        have_h2 = have_h1;
        h2 = h1;
        have_h1 = have_h1 || h_set;
        h1 = h;
    }
    return x;
}

namespace {

Tensor res_multistep_impl(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx, double eta, bool cfg_pp) {
    const int n = step_count(s);
    const double s_noise = s_noise_or(ctx, 1.0);
    NoiseSampler noise = default_noise(ctx, x);
    Tensor old;
    double old_sigma_down = 0;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        // CFG++: steer with the unconditional prediction, keep the guided one as the target.
        // Without a guider (no tap) the prediction is its own uncond.
        Tensor uncond = den;
        if (cfg_pp && ctx.guidance && ctx.guidance->uncond_denoised.defined()) uncond = ctx.guidance->uncond_denoised;
        const auto [down, up] = ancestral_step(s[i], s[i + 1], eta);
        report(ctx, i, n, s[i], x, den);
        if (down == 0.0 || !old.defined()) {
            if (cfg_pp) {
                x = tm::axpby(1.0f, den, float(down), to_d(x, s[i], uncond));
            } else {
                const Tensor d = to_d(x, s[i], den);
                x = tm::axpby(1.0f, x, float(down - s[i]), d);
            }
        } else {
            const double t = -std::log(double(s[i])), t_old = -std::log(old_sigma_down);
            const double t_next = -std::log(down), t_prev = -std::log(double(s[i - 1]));
            const double h = t_next - t;
            const double c2 = (t_prev - t_old) / h;
            const double phi1 = std::expm1(-h) / (-h), phi2 = (phi1 - 1.0) / (-h);
            double b1 = phi1 - phi2 / c2, b2 = phi2 / c2;
            if (std::isnan(b1)) b1 = 0;
            if (std::isnan(b2)) b2 = 0;
            if (cfg_pp) {
                const Tensor shifted = tm::lincomb({{1.0f, x}, {1.0f, den}, {-1.0f, uncond}});
                x = tm::lincomb({{float(std::exp(-h)), shifted}, {float(h * b1), uncond}, {float(h * b2), old}});
            } else {
                x = tm::lincomb({{float(std::exp(-h)), x}, {float(h * b1), den}, {float(h * b2), old}});
            }
        }
        if (s[i + 1] > 0.0f && up != 0.0) x = tm::axpby(1.0f, x, float(s_noise * up), noise(s[i], s[i + 1]));
        old = cfg_pp ? uncond : den;
        old_sigma_down = down;
    }
    return x;
}

}  // namespace

Tensor sample_res_multistep(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return res_multistep_impl(D, std::move(x), s, ctx, 0.0, false);
}
Tensor sample_res_multistep_ancestral(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return res_multistep_impl(D, std::move(x), s, ctx, eta_or(ctx, 1.0), false);
}
Tensor sample_res_multistep_cfg_pp(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return res_multistep_impl(D, std::move(x), s, ctx, 0.0, true);
}
Tensor sample_res_multistep_ancestral_cfg_pp(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return res_multistep_impl(D, std::move(x), s, ctx, eta_or(ctx, 1.0), true);
}

Tensor sample_er_sde(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    const int n = step_count(s);
    const double s_noise = s_noise_or(ctx, 1.0);
    constexpr int max_stage = 3;
    constexpr int points = 200;
    NoiseSampler noise = default_noise(ctx, x);
    auto scaler = [](double v) { return v * (std::exp(std::pow(v, 0.3)) + 10.0); };
    // er_lambda = sigma / alpha = exp(-half_log_snr) = sigma for eps/v models.
    std::vector<double> lam(s.size());
    for (size_t k = 0; k < s.size(); ++k) lam[k] = std::exp(std::log(double(s[k])));
    Tensor old, old_d;
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        const int stage = std::min(max_stage, i + 1);
        if (s[i + 1] == 0.0f) {
            x = den;
        } else {
            const double ls = lam[i], lt = lam[i + 1];
            const double alpha_s = s[i] / ls, alpha_t = s[i + 1] / lt;
            const double r_alpha = alpha_t / alpha_s, r = scaler(lt) / scaler(ls);
            x = tm::axpby(float(r_alpha * r), x, float(alpha_t * (1 - r)), den);
            if (stage >= 2) {
                const double dt = lt - ls;
                const double step = -dt / points;
                double sum1 = 0, sum_u = 0;
                for (int k = 0; k < points; ++k) {
                    const double pos = lt + k * step;
                    sum1 += 1.0 / scaler(pos);
                    sum_u += (pos - ls) / scaler(pos);
                }
                const double sv = sum1 * step, su = sum_u * step;
                const Tensor den_d = tm::scaled(tm::sub(den, old), float(1.0 / (ls - lam[i - 1])));
                x = tm::axpby(1.0f, x, float(alpha_t * (dt + sv * scaler(lt))), den_d);
                if (stage >= 3) {
                    const Tensor den_u = tm::scaled(tm::sub(den_d, old_d), float(2.0 / (ls - lam[i - 2])));
                    x = tm::axpby(1.0f, x, float(alpha_t * (dt * dt / 2 + su * scaler(lt))), den_u);
                }
                old_d = den_d;
            }
            if (s_noise > 0) {
                double amp = lt * lt - ls * ls * r * r;
                amp = amp > 0 ? std::sqrt(amp) : 0.0;
                x = tm::axpby(1.0f, x, float(alpha_t * s_noise * amp), noise(s[i], s[i + 1]));
            }
        }
        old = den;
    }
    return x;
}

namespace {

// SEEDS-2 (data prediction, VP) with midpoint ratio r; "phi_1" or "phi_2" final combination.
Tensor seeds_2_impl(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx, double eta,
                    double s_noise, double r, bool phi_2) {
    const int n = step_count(s);
    const bool inject = eta > 0 && s_noise > 0;
    NoiseSampler noise = inject ? default_noise(ctx, x) : NoiseSampler{};
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = den;
            continue;
        }
        const double ls = -std::log(double(s[i])), lt = -std::log(double(s[i + 1]));
        const double h = lt - ls, h_eta = h * (eta + 1);
        const double ls1 = ls + r * (lt - ls);
        const double sigma_s1 = std::exp(-ls1);
        const double alpha_s1 = sigma_s1 * std::exp(ls1), alpha_t = double(s[i + 1]) * std::exp(lt);
        Tensor x2 = tm::axpby(float(sigma_s1 / s[i] * std::exp(-r * h * eta)), x,
                              float(-alpha_s1 * std::expm1(-r * h_eta)), den);
        Tensor sde_noise;
        if (inject) {
            sde_noise = tm::scaled(noise(s[i], float(sigma_s1)), float(std::sqrt(-std::expm1(-2 * r * h * eta))));
            x2 = tm::axpby(1.0f, x2, float(sigma_s1 * s_noise), sde_noise);
        }
        const Tensor den2 = D(x2, float(sigma_s1));
        const float cx = float(double(s[i + 1]) / s[i] * std::exp(-h * eta));
        if (!phi_2) {
            const double fac = 1.0 / (2 * r);
            const double c = -alpha_t * std::expm1(-h_eta);
            x = tm::lincomb({{cx, x}, {float(c * (1 - fac)), den}, {float(c * fac), den2}});
        } else {
            const double phi1v = std::expm1(-h_eta), phi2v = (std::expm1(-h_eta) + h_eta) / (-h_eta);
            const double b2 = phi2v / r, b1 = phi1v - b2;
            x = tm::lincomb({{cx, x}, {float(-alpha_t * b1), den}, {float(-alpha_t * b2), den2}});
        }
        if (inject) {
            const double seg = (r - 1) * h * eta;
            sde_noise = tm::axpby(float(std::exp(seg)), sde_noise, float(std::sqrt(-std::expm1(2 * seg))),
                                  noise(float(sigma_s1), s[i + 1]));
            x = tm::axpby(1.0f, x, float(double(s[i + 1]) * s_noise), sde_noise);
        }
    }
    return x;
}

}  // namespace

Tensor sample_seeds_2(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return seeds_2_impl(D, std::move(x), s, ctx, eta_or(ctx, 1.0), s_noise_or(ctx, 1.0), 0.5, false);
}
Tensor sample_seeds_3(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    // SEEDS-3 (data prediction, VP): stages at r1 = 1/3 and r2 = 2/3 of the log-SNR step.
    constexpr double r1 = 1.0 / 3.0, r2 = 2.0 / 3.0;
    const double eta = eta_or(ctx, 1.0), s_noise = s_noise_or(ctx, 1.0);
    const bool inject = eta > 0 && s_noise > 0;
    const int n = step_count(s);
    NoiseSampler noise = inject ? default_noise(ctx, x) : NoiseSampler{};
    auto phi1 = [](double h) { return std::expm1(h); };                 // h * phi_1(h)
    auto phi2 = [](double h) { return (std::expm1(h) - h) / h; };       // h * phi_2(h)
    for (int i = 0; i < n; ++i) {
        const Tensor den = D(x, s[i]);
        report(ctx, i, n, s[i], x, den);
        if (s[i + 1] == 0.0f) {
            x = den;
            continue;
        }
        const double ls = -std::log(double(s[i])), lt = -std::log(double(s[i + 1]));
        const double h = lt - ls, h_eta = h * (eta + 1);
        const double l1 = ls + r1 * h, l2 = ls + r2 * h;
        const double sig1 = std::exp(-l1), sig2 = std::exp(-l2);
        const double a1 = sig1 * std::exp(l1), a2 = sig2 * std::exp(l2), at = double(s[i + 1]) * std::exp(lt);

        Tensor x2 = tm::axpby(float(sig1 / s[i] * std::exp(-r1 * h * eta)), x, float(-a1 * phi1(-r1 * h_eta)), den);
        Tensor sde_noise;
        if (inject) {
            sde_noise = tm::scaled(noise(s[i], float(sig1)), float(std::sqrt(-std::expm1(-2 * r1 * h * eta))));
            x2 = tm::axpby(1.0f, x2, float(sig1 * s_noise), sde_noise);
        }
        const Tensor den2 = D(x2, float(sig1));

        const double a3_2 = r2 / r1 * phi2(-r2 * h_eta), a3_1 = phi1(-r2 * h_eta) - a3_2;
        Tensor x3 = tm::lincomb({{float(sig2 / s[i] * std::exp(-r2 * h * eta)), x}, {float(-a2 * a3_1), den}, {float(-a2 * a3_2), den2}});
        if (inject) {
            const double seg = (r1 - r2) * h * eta;
            sde_noise = tm::axpby(float(std::exp(seg)), sde_noise, float(std::sqrt(-std::expm1(2 * seg))), noise(float(sig1), float(sig2)));
            x3 = tm::axpby(1.0f, x3, float(sig2 * s_noise), sde_noise);
        }
        const Tensor den3 = D(x3, float(sig2));

        const double b3 = phi2(-h_eta) / r2, b1 = phi1(-h_eta) - b3;
        x = tm::lincomb({{float(double(s[i + 1]) / s[i] * std::exp(-h * eta)), x}, {float(-at * b1), den}, {float(-at * b3), den3}});
        if (inject) {
            const double seg = (r2 - 1) * h * eta;
            sde_noise = tm::axpby(float(std::exp(seg)), sde_noise, float(std::sqrt(-std::expm1(2 * seg))), noise(float(sig2), s[i + 1]));
            x = tm::axpby(1.0f, x, float(double(s[i + 1]) * s_noise), sde_noise);
        }
    }
    return x;
}

Tensor sample_exp_heun_2_x0(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return seeds_2_impl(D, std::move(x), s, ctx, 0.0, 0.0, 1.0, true);
}
Tensor sample_exp_heun_2_x0_sde(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return seeds_2_impl(D, std::move(x), s, ctx, eta_or(ctx, 1.0), s_noise_or(ctx, 1.0), 1.0, true);
}

}  // namespace weft::models
