// sampling/sigma_utils.cpp — denoise truncation, slicing, splitting and the fixed schedules.
#include "sampling/sigma_utils.h"

#include <weft/error.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace weft::models {

namespace {

// Python's seq[start:stop] with negative indices and clamping (no step).
Sigmas py_slice(const Sigmas& v, long start, long stop) {
    const long n = static_cast<long>(v.size());
    auto norm = [n](long i) { return i < 0 ? std::max(i + n, 0L) : std::min(i, n); };
    const long a = norm(start), b = norm(stop);
    if (b <= a) return {};
    return Sigmas(v.begin() + a, v.begin() + b);
}

// The last k values (Python seq[-k:], k >= 1).
Sigmas tail(const Sigmas& v, long k) { return py_slice(v, -k, static_cast<long>(v.size())); }

}  // namespace

Sigmas ksampler_sigmas(const ModelSamplingDiscrete& ms, const SchedulerInfo& scheduler, const SamplerInfo& sampler,
                       int steps, double denoise) {
    const bool discard = sampler.discards_penultimate_sigma;
    auto full = [&](int n) {
        Sigmas s = calculate_sigmas(ms, scheduler, discard ? n + 1 : n);
        if (discard && s.size() >= 2) s.erase(s.end() - 2);
        return s;
    };
    if (denoise > 0.9999) return full(steps);
    if (denoise <= 0.0) return {};
    const int new_steps = static_cast<int>(steps / denoise);
    return tail(full(new_steps), steps + 1);
}

Sigmas slice_sigmas(Sigmas sigmas, int start_step, int last_step, bool force_full_denoise) {
    if (last_step >= 0 && last_step < static_cast<int>(sigmas.size()) - 1) {
        sigmas.resize(static_cast<size_t>(last_step) + 1);
        if (force_full_denoise) sigmas.back() = 0.0f;
    }
    if (start_step > 0) {
        if (start_step < static_cast<int>(sigmas.size()) - 1) sigmas.erase(sigmas.begin(), sigmas.begin() + start_step);
        else return {};
    }
    return sigmas;
}

Sigmas basic_scheduler(const ModelSamplingDiscrete& ms, const SchedulerInfo& scheduler, int steps, double denoise) {
    int total = steps;
    if (denoise < 1.0) {
        if (denoise <= 0.0) return {};
        total = static_cast<int>(steps / denoise);
    }
    return tail(calculate_sigmas(ms, scheduler, total), steps + 1);
}

Sigmas sd_turbo_sigmas(const ModelSamplingDiscrete& ms, int steps, double denoise) {
    const int start = 10 - static_cast<int>(10 * denoise);
    Sigmas out;
    for (int k = start; k < std::min(start + steps, 10); ++k) {
        if (k < 0) continue;
        out.push_back(ms.sigma(static_cast<float>((10 - k) * 100 - 1)));
    }
    out.push_back(0.0f);
    return out;
}

Sigmas align_your_steps_sigmas(std::string_view model_type, int steps, double denoise) {
    static const std::array<double, 11> sd1{14.6146412293, 6.4745760956, 3.8636745985, 2.6946151520,
                                            1.8841921177,  1.3943805092, 0.9642583904, 0.6523686016,
                                            0.3977456272,  0.1515232662, 0.0291671582};
    static const std::array<double, 11> sdxl{14.6146412293, 6.3184485287, 3.7681790315, 2.1811480769,
                                             1.3405244945,  0.8620721141, 0.5550693289, 0.3798540708,
                                             0.2332364134,  0.1114188177, 0.0291671582};
    static const std::array<double, 11> svd{700.00, 54.5, 15.886, 7.977, 4.248, 1.789,
                                            0.981,  0.403, 0.173, 0.034, 0.002};
    const std::array<double, 11>* levels = model_type == "SD1" ? &sd1 : model_type == "SDXL" ? &sdxl
                                         : model_type == "SVD" ? &svd : nullptr;
    if (!levels) throw Error(ErrorCode::ValueNotInList, "unknown AlignYourSteps model type '" + std::string(model_type) + "'");
    long total = steps;
    if (denoise < 1.0) {
        if (denoise <= 0.0) return {};
        total = std::lround(std::nearbyint(steps * denoise));  // Python round: half to even
    }
    std::vector<double> s(levels->begin(), levels->end());
    if (steps + 1 != static_cast<int>(s.size())) {
        // Log-linear interpolation over [0, 1] of the reversed (ascending) levels, as numpy.interp.
        const int m = static_cast<int>(s.size()), n = steps + 1;
        std::vector<double> xs(m), ys(m);
        for (int i = 0; i < m; ++i) {
            xs[i] = i == m - 1 ? 1.0 : i * (1.0 / (m - 1));
            ys[i] = std::log((*levels)[static_cast<size_t>(m - 1 - i)]);
        }
        std::vector<double> out(n);
        for (int i = 0; i < n; ++i) {
            const double x = n == 1 ? 0.0 : (i == n - 1 ? 1.0 : i * (1.0 / (n - 1)));
            int j = 0;
            while (j < m - 2 && x >= xs[j + 1]) ++j;
            double y;
            if (x >= xs[m - 1]) y = ys[m - 1];
            else y = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]) * (x - xs[j]) + ys[j];
            out[n - 1 - i] = std::exp(y);
        }
        s = out;
    }
    Sigmas f(s.begin(), s.end());
    for (size_t i = 0; i < s.size(); ++i) f[i] = static_cast<float>(s[i]);
    f = tail(f, total + 1);
    if (!f.empty()) f.back() = 0.0f;
    return f;
}

std::pair<Sigmas, Sigmas> split_sigmas(const Sigmas& sigmas, int step) {
    return {py_slice(sigmas, 0, step + 1), py_slice(sigmas, step, static_cast<long>(sigmas.size()))};
}

std::pair<Sigmas, Sigmas> split_sigmas_denoise(const Sigmas& sigmas, double denoise) {
    const long steps = std::max(static_cast<long>(sigmas.size()) - 1, 0L);
    const long total = std::lround(std::nearbyint(steps * denoise));
    return {py_slice(sigmas, 0, -total), tail(sigmas, total + 1)};
}

Sigmas flip_sigmas(const Sigmas& sigmas) {
    Sigmas f(sigmas.rbegin(), sigmas.rend());
    if (!f.empty() && f[0] == 0.0f) f[0] = 0.0001f;
    return f;
}

}  // namespace weft::models
