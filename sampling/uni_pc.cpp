// sampling/uni_pc.cpp — UniPC multistep (bh1 / bh2), data prediction, as ComfyUI's
// sample_unipc runs it: in variance-preserving space with alpha = 1/sqrt(1+sigma^2),
// std = sigma/sqrt(1+sigma^2), lambda = log(alpha/std); a final sigma of 0 becomes 0.001; the order
// is min(3, len(sigmas) - 2) with lower orders at the start and the end; the corrector runs on every
// step but the last. One denoiser call per step. The callback reports the VP-space x.
#include "sampling/sampler_util.h"

#include <array>
#include <vector>

namespace weft::models {

using namespace detail;

namespace {

struct Vp {
    static double lmc(double s) { return 0.5 * std::log(1.0 / (s * s + 1.0)); }
    static double alpha(double s) { return std::exp(lmc(s)); }
    static double std_(double s) { return std::sqrt(1.0 - std::exp(2.0 * lmc(s))); }
    static double lambda(double s) { return lmc(s) - 0.5 * std::log(1.0 - std::exp(2.0 * lmc(s))); }
};

// Solves the small dense system A x = b (n <= 3) by Gaussian elimination with partial pivoting.
std::vector<double> solve(std::vector<std::vector<double>> A, std::vector<double> b) {
    const size_t n = b.size();
    for (size_t c = 0; c < n; ++c) {
        size_t p = c;
        for (size_t r = c + 1; r < n; ++r)
            if (std::fabs(A[r][c]) > std::fabs(A[p][c])) p = r;
        std::swap(A[c], A[p]);
        std::swap(b[c], b[p]);
        for (size_t r = c + 1; r < n; ++r) {
            const double f = A[r][c] / A[c][c];
            for (size_t k = c; k < n; ++k) A[r][k] -= f * A[c][k];
            b[r] -= f * b[c];
        }
    }
    std::vector<double> x(n);
    for (size_t i = n; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < n; ++k) s -= A[i][k] * x[k];
        x[i] = s / A[i][i];
    }
    return x;
}

struct UniPc {
    const Denoiser& D;
    bool bh2;

    // The data prediction for VP-space x at sigma s (the denoiser works in VE space).
    Tensor model(const Tensor& x_vp, double s) const {
        return D(tm::scaled(x_vp, float(std::sqrt(s * s + 1.0))), float(s));
    }

    // One multistep update from the last entry of the history to sigma t.
    std::pair<Tensor, Tensor> update(const Tensor& x, const std::vector<Tensor>& models, const std::vector<double>& ts,
                                     double t, int order, bool use_corrector) const {
        const double t0 = ts.back();
        const Tensor& m0 = models.back();
        const double l0 = Vp::lambda(t0), lt = Vp::lambda(t);
        const double s0 = Vp::std_(t0), st = Vp::std_(t), at = Vp::alpha(t);
        const double h = lt - l0;
        std::vector<double> rks;
        std::vector<Tensor> D1s;
        for (int i = 1; i < order; ++i) {
            const double ti = ts[ts.size() - 1 - static_cast<size_t>(i)];
            const Tensor& mi = models[models.size() - 1 - static_cast<size_t>(i)];
            const double rk = (Vp::lambda(ti) - l0) / h;
            rks.push_back(rk);
            D1s.push_back(tm::scaled(tm::sub(mi, m0), float(1.0 / rk)));
        }
        rks.push_back(1.0);
        const double hh = -h;
        const double h_phi_1 = std::expm1(hh);
        double h_phi_k = h_phi_1 / hh - 1.0;
        double fact = 1.0;
        const double B_h = bh2 ? std::expm1(hh) : hh;
        std::vector<std::vector<double>> R;
        std::vector<double> b;
        for (int i = 1; i <= order; ++i) {
            std::vector<double> row;
            for (double r : rks) row.push_back(std::pow(r, i - 1));
            R.push_back(row);
            b.push_back(h_phi_k * fact / B_h);
            fact *= (i + 1);
            h_phi_k = h_phi_k / hh - 1.0 / fact;
        }
        const Tensor x_t_ = tm::axpby(float(st / s0), x, float(-at * h_phi_1), m0);
        Tensor x_t = x_t_;
        if (!D1s.empty()) {
            std::vector<double> rhos_p;
            if (order == 2) {
                rhos_p = {0.5};
            } else {
                std::vector<std::vector<double>> Rp(static_cast<size_t>(order - 1));
                for (int r = 0; r < order - 1; ++r)
                    Rp[static_cast<size_t>(r)] = std::vector<double>(R[static_cast<size_t>(r)].begin(), R[static_cast<size_t>(r)].end() - 1);
                rhos_p = solve(Rp, std::vector<double>(b.begin(), b.end() - 1));
            }
            for (size_t k = 0; k < D1s.size(); ++k) x_t = tm::axpby(1.0f, x_t, float(-at * B_h * rhos_p[k]), D1s[k]);
        }
        Tensor model_t;
        if (use_corrector) {
            const std::vector<double> rhos_c = order == 1 ? std::vector<double>{0.5} : solve(R, b);
            model_t = model(x_t, t);
            Tensor acc = x_t_;
            for (size_t k = 0; k < D1s.size(); ++k) acc = tm::axpby(1.0f, acc, float(-at * B_h * rhos_c[k]), D1s[k]);
            const double c_last = -at * B_h * rhos_c.back();
            x_t = tm::lincomb({{1.0f, acc}, {float(c_last), model_t}, {float(-c_last), m0}});
        }
        return {x_t, model_t};
    }
};

Tensor unipc_impl(const Denoiser& D, Tensor x, const Sigmas& sigmas, const SamplerContext& ctx, bool bh2) {
    if (sigmas.size() < 2) return x;
    std::vector<double> ts(sigmas.begin(), sigmas.end());
    if (sigmas.back() == 0.0f) ts.back() = double(0.001f);
    const int steps = static_cast<int>(ts.size()) - 1;
    const int order = std::min(3, static_cast<int>(ts.size()) - 2);
    x = tm::scaled(x, float(1.0 / std::sqrt(1.0 + ts[0] * ts[0])));
    const UniPc u{D, bh2};
    std::vector<Tensor> models;
    std::vector<double> tprev;
    for (int si = 0; si < steps; ++si) {
        if (si == 0) {
            models = {u.model(x, ts[0])};
            tprev = {ts[0]};
        } else if (si < order) {
            auto [nx, mx] = u.update(x, models, tprev, ts[static_cast<size_t>(si)], si, true);
            x = nx;
            models.push_back(mx.defined() ? mx : u.model(x, ts[static_cast<size_t>(si)]));
            tprev.push_back(ts[static_cast<size_t>(si)]);
        } else {
            const int extra = si == steps - 1 ? 1 : 0;
            for (int step = si; step <= si + extra; ++step) {
                const double t = ts[static_cast<size_t>(step)];
                const int step_order = std::min(order, steps + 1 - step);
                auto [nx, mx] = u.update(x, models, tprev, t, step_order, step != steps);
                x = nx;
                for (int i = 0; i + 1 < order; ++i) {
                    tprev[static_cast<size_t>(i)] = tprev[static_cast<size_t>(i) + 1];
                    models[static_cast<size_t>(i)] = models[static_cast<size_t>(i) + 1];
                }
                tprev.back() = t;
                if (step < steps) models.back() = mx.defined() ? mx : u.model(x, t);
            }
        }
        report(ctx, si, steps, sigmas[static_cast<size_t>(si)], x, models.back());
    }
    return tm::scaled(x, float(1.0 / Vp::alpha(ts.back())));
}

}  // namespace

Tensor sample_uni_pc(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return unipc_impl(D, std::move(x), s, ctx, false);
}
Tensor sample_uni_pc_bh2(const Denoiser& D, Tensor x, const Sigmas& s, const SamplerContext& ctx) {
    return unipc_impl(D, std::move(x), s, ctx, true);
}

}  // namespace weft::models
