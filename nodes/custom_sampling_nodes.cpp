// The custom-sampling family (ComfyUI's comfy_extras/nodes_custom_sampler): SamplerCustom and
// SamplerCustomAdvanced over the shared sampling pipeline (models/sampling/ksampler.h), the
// SAMPLER / NOISE / GUIDER / SIGMAS makers, and the sigma-list tools.
#include "sampling/conditioning_eval.h"
#include "sampling/sigma_utils.h"
#include "nodes/node_families.h"
#include "nodes/sampling_inputs.h"
#include "nodes/sampling_objects.h"
#include "nodes/sampling_progress.h"
#include "nodes/typed_conditioning.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

Value sampler_value(models::SamplerSpec s) {
    return Value::object<models::SamplerSpec>(std::make_shared<const models::SamplerSpec>(std::move(s)), "SAMPLER");
}
Value noise_value(models::NoiseSource n) {
    return Value::object<models::NoiseSource>(std::make_shared<const models::NoiseSource>(n), "NOISE");
}
Value guider_value(GuiderObject g) {
    const size_t bytes = g.model ? g.model->bytes : 0;
    return Value::object<GuiderObject>(std::make_shared<const GuiderObject>(std::move(g)), "GUIDER", bytes);
}
Value sigmas_value(const models::Sigmas& s) {
    return Value(Tensor::from_vector({static_cast<int64_t>(s.size())}, s));
}

models::Sigmas sigmas_input(const NodeContext& ctx, std::string_view name) {
    const Value& v = ctx.input(name);
    if (!v.is_tensor() || v.as_tensor().dim() != 1)
        throw Error(ErrorCode::InvalidInputType, "SIGMAS must be a 1-D tensor, got " + v.describe()).at_input(std::string(name));
    const Tensor t = v.as_tensor().to(DType::F32).contiguous();
    return models::Sigmas(t.data<float>(), t.data<float>() + t.numel());
}

models::CondList model_conditioning(const NodeContext& ctx, std::string_view input, const models::DiffusionModel& model) {
    models::CondList c = conditioning_input(ctx, input);
    if (c.empty()) throw Error(ErrorCode::InvalidInputType, "the conditioning is empty").at_input(std::string(input));
    for (const models::Cond& item : c)
        if (item.context.dim() != 3 || item.context.size(2) != model.unet.context_dim())
            throw Error(ErrorCode::InvalidInputType, "conditioning " + item.context.describe() + " does not fit this model (context width " +
                                                  std::to_string(model.unet.context_dim()) + ")")
                .at_input(std::string(input));
    return c;
}

void check_latent(const NodeContext& ctx, std::string_view input, const Latent& latent, const models::DiffusionModel& model) {
    // Inpainting UNets (9 input channels) sample 4-channel latents; the other 5 come from the conditioning.
    const int64_t channels = model.unet.in_channels() == 9 ? 4 : model.unet.in_channels();
    if (latent.samples.dim() != 4 || latent.samples.size(1) != channels)
        throw Error(ErrorCode::InvalidInputType, "the latent " + latent.samples.describe() + " does not fit this model (" +
                                              std::to_string(channels) + " channels)")
            .at_input(std::string(input));
}

/// A CFG guider from the node's model, positive, negative and cfg inputs (SamplerCustom, CFGGuider).
GuiderObject cfg_guider(NodeContext& ctx) {
    GuiderObject g;
    g.model = ctx.get_object<models::DiffusionModel>("model");
    g.spec.kind = models::GuiderKind::Cfg;
    g.spec.cfg = ctx.get_float("cfg");
    g.positive = model_conditioning(ctx, "positive", *g.model);
    g.negative = model_conditioning(ctx, "negative", *g.model);
    return g;
}

std::pair<Latent, Latent> sample_custom(NodeContext& ctx, const GuiderObject& g, const models::NoiseSource& noise,
                                        const models::SamplerSpec& sampler, const models::Sigmas& sigmas, const Latent& latent) {
    const models::DiffusionModel& model = *g.model;
    const Tensor samples = latent.samples.to(DType::F32).contiguous();
    models::SamplingJob job;
    job.sampler = sampler;
    job.seed = noise.seed;
    job.batch_index = latent.batch_index;
    job.noise_mask = latent.noise_mask;
    job.callback = sampling_progress(ctx);
    const Tensor noise_tensor = noise.generate(samples.shape(), job.batch_index);
    models::SamplingOutput o;
    {
        // Lists indexed by CondKind (Positive, Negative, Middle); the guider's kind says which exist.
        const bool has_negative = g.spec.kind != models::GuiderKind::Basic, has_middle = g.spec.kind == models::GuiderKind::DualCfg;
        const models::DenoiseFn fn = models::conditioned_denoiser(
            {model.unet, model.sampling}, {&g.positive, has_negative ? &g.negative : nullptr, has_middle ? &g.middle : nullptr}, samples,
            latent.noise_mask, job.latent_scale);
        o = models::run_sampling(model.sampling, models::Guidance{{}, g.spec, model.guidance, fn}, samples, job, noise_tensor, sigmas);
    }
    Latent out = latent, den = latent;
    out.samples = o.samples;
    den.samples = o.denoised;
    return {std::move(out), std::move(den)};
}

namespace {

Input sigma_input(const char* name, double def) { return Input::floating(name, def).min(0.0).max(5000.0).step(0.01); }
Input denoise_input() { return Input::floating("denoise", 1.0).min(0.0).max(1.0).step(0.01); }

NodeSchema schema(const char* name, const char* category) {
    NodeSchema s(name);
    s.category(category).module("comfy_extras.nodes_custom_sampler");
    return s;
}

/// A node whose execute returns one SIGMAS list.
void add_sigmas_node(NodeRegistry& r, NodeSchema s, std::function<models::Sigmas(NodeContext&)> make) {
    NodeDefinition d{std::move(s)};
    d.schema.output("SIGMAS");
    d.execute = [make = std::move(make)](NodeContext& ctx) {
        {
            ctx.set_output(0, sigmas_value(make(ctx)));
        }
    };
    r.add(std::move(d));
}

int int_input(NodeContext& ctx, const char* name) { return static_cast<int>(ctx.get_int(name)); }

}  // namespace

void register_custom_sampling_nodes(NodeRegistry& r) {
    const char* kSchedulers = "sampling/custom_sampling/schedulers";
    const char* kSigmas = "sampling/custom_sampling/sigmas";
    {
        NodeDefinition d{schema("SamplerCustom", "sampling/custom_sampling")};
        d.schema.exclusive()
            .required(Input::type_of("model", "MODEL"))
            .required(Input::boolean("add_noise", true))
            .required(seed_input("noise_seed"))
            .required(cfg_input("cfg"))
            .required(Input::type_of("positive", "CONDITIONING"))
            .required(Input::type_of("negative", "CONDITIONING"))
            .required(Input::type_of("sampler", "SAMPLER"))
            .required(Input::type_of("sigmas", "SIGMAS"))
            .required(Input::type_of("latent_image", "LATENT"))
            .output("LATENT", "output")
            .output("LATENT", "denoised_output");
        d.execute = [](NodeContext& ctx) {
            GuiderObject g = cfg_guider(ctx);
            const Latent& latent = ctx.get_latent("latent_image");
            check_latent(ctx, "latent_image", latent, *g.model);
            // add_noise off still hands the seed to the sampler (its step noise), as ComfyUI does.
            const models::NoiseSource noise{ctx.get_bool("add_noise"), ctx.input("noise_seed").as_uint64()};
            auto [out, den] = sample_custom(ctx, g, noise, *ctx.get_object<models::SamplerSpec>("sampler"), sigmas_input(ctx, "sigmas"), latent);
            ctx.set_output(0, Value(std::move(out)));
            ctx.set_output(1, Value(std::move(den)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{schema("SamplerCustomAdvanced", "sampling/custom_sampling")};
        d.schema.exclusive()
            .required(Input::type_of("noise", "NOISE"))
            .required(Input::type_of("guider", "GUIDER"))
            .required(Input::type_of("sampler", "SAMPLER"))
            .required(Input::type_of("sigmas", "SIGMAS"))
            .required(Input::type_of("latent_image", "LATENT"))
            .output("LATENT", "output")
            .output("LATENT", "denoised_output");
        d.execute = [](NodeContext& ctx) {
            const auto g = ctx.get_object<GuiderObject>("guider");
            const Latent& latent = ctx.get_latent("latent_image");
            check_latent(ctx, "latent_image", latent, *g->model);
            auto [out, den] = sample_custom(ctx, *g, *ctx.get_object<models::NoiseSource>("noise"),
                                            *ctx.get_object<models::SamplerSpec>("sampler"), sigmas_input(ctx, "sigmas"), latent);
            ctx.set_output(0, Value(std::move(out)));
            ctx.set_output(1, Value(std::move(den)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{schema("KSamplerSelect", "sampling/custom_sampling/samplers")};
        d.schema.required(sampler_combo("sampler_name")).output("SAMPLER");
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, sampler_value(models::SamplerSpec{&sampler_input(ctx, "sampler_name"), {}, {}})); };
        r.add(std::move(d));
    }
    {
        NodeSchema s = schema("BasicScheduler", kSchedulers);
        s.required(Input::type_of("model", "MODEL"))
            .required(scheduler_combo("scheduler"))
            .required(steps_input())
            .required(denoise_input());
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::basic_scheduler(ctx.get_object<models::DiffusionModel>("model")->sampling, scheduler_input(ctx, "scheduler"),
                                           int_input(ctx, "steps"), ctx.get_float("denoise"));
        });
    }
    {
        NodeSchema s = schema("KarrasScheduler", kSchedulers);
        s.required(steps_input()).required(sigma_input("sigma_max", 14.614642)).required(sigma_input("sigma_min", 0.0291675))
            .required(Input::floating("rho", 7.0).min(0.0).max(100.0).step(0.01));
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::karras_sigmas(int_input(ctx, "steps"), ctx.get_float("sigma_min"), ctx.get_float("sigma_max"), ctx.get_float("rho"));
        });
    }
    {
        NodeSchema s = schema("ExponentialScheduler", kSchedulers);
        s.required(steps_input()).required(sigma_input("sigma_max", 14.614642)).required(sigma_input("sigma_min", 0.0291675));
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::exponential_sigmas(int_input(ctx, "steps"), ctx.get_float("sigma_min"), ctx.get_float("sigma_max"));
        });
    }
    {
        NodeSchema s = schema("PolyexponentialScheduler", kSchedulers);
        s.required(steps_input()).required(sigma_input("sigma_max", 14.614642)).required(sigma_input("sigma_min", 0.0291675))
            .required(Input::floating("rho", 1.0).min(0.0).max(100.0).step(0.01));
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::polyexponential_sigmas(int_input(ctx, "steps"), ctx.get_float("sigma_min"), ctx.get_float("sigma_max"),
                                                  ctx.get_float("rho"));
        });
    }
    {
        NodeSchema s = schema("SDTurboScheduler", kSchedulers);
        s.required(Input::type_of("model", "MODEL")).required(Input::integer("steps", 1).min(1).max(10))
            .required(Input::floating("denoise", 1.0).min(0).max(1.0).step(0.01));
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::sd_turbo_sigmas(ctx.get_object<models::DiffusionModel>("model")->sampling, int_input(ctx, "steps"),
                                           ctx.get_float("denoise"));
        });
    }
    {
        NodeSchema s = schema("VPScheduler", kSchedulers);
        s.required(steps_input()).required(sigma_input("beta_d", 19.9)).required(sigma_input("beta_min", 0.1))
            .required(Input::floating("eps_s", 0.001).min(0.0).max(1.0).step(0.0001));
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::vp_sigmas(int_input(ctx, "steps"), ctx.get_float("beta_d"), ctx.get_float("beta_min"), ctx.get_float("eps_s"));
        });
    }
    {
        NodeSchema s = schema("BetaSamplingScheduler", kSchedulers);
        s.required(Input::type_of("model", "MODEL")).required(steps_input())
            .required(Input::floating("alpha", 0.6).min(0.0).max(50.0).step(0.01))
            .required(Input::floating("beta", 0.6).min(0.0).max(50.0).step(0.01));
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::beta_scheduler(ctx.get_object<models::DiffusionModel>("model")->sampling, int_input(ctx, "steps"),
                                          ctx.get_float("alpha"), ctx.get_float("beta"));
        });
    }
    {
        NodeSchema s = schema("AlignYourStepsScheduler", kSchedulers);
        s.required(Input::combo("model_type", {"SD1", "SDXL", "SVD"})).required(steps_input(10)).required(denoise_input());
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) {
            return models::align_your_steps_sigmas(ctx.get_string("model_type"), int_input(ctx, "steps"), ctx.get_float("denoise"));
        });
    }
    {
        NodeDefinition d{schema("SplitSigmas", kSigmas)};
        d.schema.required(Input::type_of("sigmas", "SIGMAS")).required(Input::integer("step", 0).min(0).max(10000))
            .output("SIGMAS", "high_sigmas").output("SIGMAS", "low_sigmas");
        d.execute = [](NodeContext& ctx) {
            auto [high, low] = models::split_sigmas(sigmas_input(ctx, "sigmas"), int_input(ctx, "step"));
            ctx.set_output(0, sigmas_value(high));
            ctx.set_output(1, sigmas_value(low));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{schema("SplitSigmasDenoise", kSigmas)};
        d.schema.required(Input::type_of("sigmas", "SIGMAS")).required(denoise_input())
            .output("SIGMAS", "high_sigmas").output("SIGMAS", "low_sigmas");
        d.execute = [](NodeContext& ctx) {
            auto [high, low] = models::split_sigmas_denoise(sigmas_input(ctx, "sigmas"), ctx.get_float("denoise"));
            ctx.set_output(0, sigmas_value(high));
            ctx.set_output(1, sigmas_value(low));
        };
        r.add(std::move(d));
    }
    {
        NodeSchema s = schema("FlipSigmas", kSigmas);
        s.required(Input::type_of("sigmas", "SIGMAS"));
        add_sigmas_node(r, std::move(s), [](NodeContext& ctx) { return models::flip_sigmas(sigmas_input(ctx, "sigmas")); });
    }
    {
        NodeDefinition d{schema("RandomNoise", "sampling/custom_sampling/noise")};
        d.schema.required(seed_input("noise_seed")).output("NOISE");
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, noise_value({true, ctx.input("noise_seed").as_uint64()})); };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{schema("DisableNoise", "sampling/custom_sampling/noise")};
        d.schema.output("NOISE");
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, noise_value({false, 0})); };
        r.add(std::move(d));
    }
    const char* kGuiders = "sampling/custom_sampling/guiders";
    {
        NodeDefinition d{schema("CFGGuider", kGuiders)};
        d.schema.required(Input::type_of("model", "MODEL")).required(Input::type_of("positive", "CONDITIONING"))
            .required(Input::type_of("negative", "CONDITIONING")).required(cfg_input("cfg")).output("GUIDER");
        d.execute = [](NodeContext& ctx) {
            GuiderObject g = cfg_guider(ctx);
            ctx.set_output(0, guider_value(std::move(g)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{schema("BasicGuider", kGuiders)};
        d.schema.required(Input::type_of("model", "MODEL")).required(Input::type_of("conditioning", "CONDITIONING")).output("GUIDER");
        d.execute = [](NodeContext& ctx) {
            GuiderObject g;
            g.model = ctx.get_object<models::DiffusionModel>("model");
            g.spec.kind = models::GuiderKind::Basic;
            g.spec.cfg = 1.0;
            g.positive = model_conditioning(ctx, "conditioning", *g.model);
            ctx.set_output(0, guider_value(std::move(g)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{schema("DualCFGGuider", kGuiders)};
        d.schema.required(Input::type_of("model", "MODEL")).required(Input::type_of("cond1", "CONDITIONING"))
            .required(Input::type_of("cond2", "CONDITIONING")).required(Input::type_of("negative", "CONDITIONING"))
            .required(cfg_input("cfg_conds")).required(cfg_input("cfg_cond2_negative"))
            .required(Input::combo("style", {"regular", "nested"})).output("GUIDER");
        d.execute = [](NodeContext& ctx) {
            GuiderObject g;
            g.model = ctx.get_object<models::DiffusionModel>("model");
            g.spec.kind = models::GuiderKind::DualCfg;
            g.spec.cfg = ctx.get_float("cfg_conds");
            g.spec.cfg2 = ctx.get_float("cfg_cond2_negative");
            g.spec.nested = ctx.get_string("style") == "nested";
            g.positive = model_conditioning(ctx, "cond1", *g.model);
            g.middle = model_conditioning(ctx, "cond2", *g.model);
            g.negative = model_conditioning(ctx, "negative", *g.model);
            ctx.set_output(0, guider_value(std::move(g)));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
