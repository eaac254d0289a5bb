// sampling/guidance.cpp — Basic / CFG / dual-CFG guidance over the network's predictions.
#include "sampling/guidance.h"

#include "sampling/cfg.h"

namespace weft::models {

Tensor guided_combine(const CfgArgs& a, const GuidanceOptions& options, GuidanceTap* tap) {
    Tensor out = options.cfg_function ? options.cfg_function(a) : cfg_combine(a.cond_denoised, a.uncond_denoised, a.cond_scale);
    for (const PostCfgFunction& f : options.post_cfg) out = f(out, a);
    if (tap) tap->uncond_denoised = a.uncond_denoised;
    return out;
}

DenoiseFn denoise_with(const ModelSamplingDiscrete& ms, ModelFn model) {
    return [&ms, model = std::move(model)](const Tensor& x, float sigma, CondKind k) {
        return ms.calculate_denoised(sigma, model(ms.calculate_input(sigma, x), ms.timestep(sigma), k), x);
    };
}

Denoiser make_guided_denoiser(const ModelSamplingDiscrete& ms, ModelFn model, const GuiderSpec& spec,
                              GuidanceOptions options, GuidanceTap* tap) {
    return make_guided_denoiser(denoise_with(ms, std::move(model)), spec, std::move(options), tap);
}

Denoiser make_guided_denoiser(DenoiseFn model, const GuiderSpec& spec, GuidanceOptions options, GuidanceTap* tap) {
    return [model = std::move(model), spec, options = std::move(options), tap](const Tensor& x, float sigma) -> Tensor {
        auto predict = [&](CondKind k) { return model(x, sigma, k); };
        // A conditioning ComfyUI leaves out (None) contributes zeros (0 / 1e-37 in calc_cond_batch).
        auto zeros = [&] { return Tensor::zeros(x.shape(), DType::F32); };
        const bool keep_all = tap && tap->want_uncond;  // disable_cfg1_optimization
        switch (spec.kind) {
        case GuiderKind::Basic: {
            const Tensor cond = predict(CondKind::Positive);
            if (options.empty() && !tap) return cond;
            return guided_combine({x, sigma, cond, zeros(), 1.0}, options, tap);
        }
        case GuiderKind::Cfg: {
            const Tensor cond = predict(CondKind::Positive);
            const bool skip = cfg_skips_uncond(spec.cfg) && !keep_all;
            if (skip && options.empty() && !tap) return cond;  // exactly cond, as uncond + (cond - uncond) * 1 with zeros
            const Tensor uncond = skip ? zeros() : predict(CondKind::Negative);
            return guided_combine({x, sigma, cond, uncond, spec.cfg}, options, tap);
        }
        case GuiderKind::DualCfg: {
            if (spec.nested) {
                const Tensor neg = predict(CondKind::Negative), mid = predict(CondKind::Middle), pos = predict(CondKind::Positive);
                const Tensor text = guided_combine({x, sigma, pos, mid, spec.cfg}, options, tap);
                const float c2 = static_cast<float>(spec.cfg2);
                return tm::lincomb({{1.0f - c2, neg}, {c2, text}});  // neg + cfg2 * (text - neg)
            }
            const bool skip_neg = !keep_all && cfg_skips_uncond(spec.cfg2);
            const bool skip_mid = skip_neg && cfg_skips_uncond(spec.cfg);
            const Tensor neg = skip_neg ? zeros() : predict(CondKind::Negative);
            const Tensor mid = skip_mid ? zeros() : predict(CondKind::Middle);
            const Tensor pos = predict(CondKind::Positive);
            const Tensor base = guided_combine({x, sigma, mid, neg, spec.cfg2}, options, tap);
            const float c1 = static_cast<float>(spec.cfg);
            return tm::lincomb({{1.0f, base}, {c1, pos}, {-c1, mid}});  // base + (pos - mid) * cfg1
        }
        }
        throw Error(ErrorCode::InvalidInput, "unknown guider kind");
    };
}

}  // namespace weft::models
