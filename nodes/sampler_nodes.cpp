// KSampler and KSamplerAdvanced: the UNet under ComfyUI's sampling (models/sampling), reporting one
// progress step (and, when asked, a preview) per sampler step and stopping between steps when the
// run is cancelled.
#include "sampling/conditioning_eval.h"
#include "sampling/ksampler.h"
#include "families/sd1/checkpoint.h"
#include "nodes/node_families.h"
#include "nodes/sampling_progress.h"
#include "tensor/ops/ops.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

namespace {

const std::vector<std::string> kSamplers = {
    "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "exp_heun_2_x0", "exp_heun_2_x0_sde", "dpm_2",
    "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu",
    "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde",
    "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp", "res_multistep_ancestral",
    "res_multistep_ancestral_cfg_pp", "gradient_estimation", "gradient_estimation_cfg_pp", "er_sde", "seeds_2", "seeds_3", "sa_solver",
    "sa_solver_pece", "ddim", "uni_pc", "uni_pc_bh2"};
const std::vector<std::string> kSchedulers = {"simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal"};

void check_conditioning(NodeContext& ctx, const char* input, const Conditioning& c, const models::DiffusionModel& model) {
    if (c.empty()) throw Error("invalid_input_type", "the conditioning is empty").at_node(ctx.node_id()).at_input(input);
    for (const ConditioningItem& item : c) {
        if (item.embedding.dim() != 3 || item.embedding.size(2) != model.unet.context_dim())
            throw Error("invalid_input_type", "conditioning " + item.embedding.describe() + " does not fit this model (context width " +
                                                  std::to_string(model.unet.context_dim()) + ")")
                .at_node(ctx.node_id())
                .at_input(input);
    }
}

void run_sampler(NodeContext& ctx, models::KSamplerParams p, const char* seed_input) {
    auto model = ctx.get_object<models::DiffusionModel>("model");
    const Latent& latent = ctx.get_latent("latent_image");
    const Conditioning& pos = ctx.input("positive").as_conditioning();
    const Conditioning& neg = ctx.input("negative").as_conditioning();
    check_conditioning(ctx, "positive", pos, *model);
    check_conditioning(ctx, "negative", neg, *model);
    // Inpainting UNets (9 input channels) sample 4-channel latents; the other 5 come from the conditioning.
    const int64_t latent_channels = model->unet.in_channels() == 9 ? 4 : model->unet.in_channels();
    if (latent.samples.dim() != 4 || latent.samples.size(1) != latent_channels)
        throw Error("invalid_input_type", "the latent " + latent.samples.describe() + " does not fit this model (" +
                                              std::to_string(latent_channels) + " channels)")
            .at_node(ctx.node_id())
            .at_input("latent_image");
    p.seed = ctx.input(seed_input).as_uint64();
    p.steps = static_cast<int>(ctx.get_int("steps"));
    p.cfg = ctx.get_float("cfg");
    p.sampler = ctx.get_string("sampler_name");
    p.scheduler = ctx.get_string("scheduler");
    p.batch_index = latent.batch_index;
    p.guidance = model->guidance;  // RescaleCFG and other sampling patches
    if (!models::has_sampler(p.sampler))
        throw Error("value_not_in_list", "sampler '" + p.sampler + "' is not implemented in weft yet").at_node(ctx.node_id()).at_input("sampler_name");
    p.noise_mask = latent.noise_mask;
    Tensor samples;
    try {
        const Tensor start = latent.samples.to(DType::F32).contiguous();
        // Inpainting UNets take extra input channels (mask, masked latent) from the conditioning.
        const models::DenoiseFn fn = models::conditioned_denoiser({model->unet, model->sampling}, {&pos, &neg}, start, latent.noise_mask, p.latent_scale);
        samples = models::ksample_denoised(model->sampling, fn, start, p, sampling_progress(ctx));
    } catch (Error& e) {
        if (e.node_id().empty()) e.at_node(ctx.node_id());
        throw;
    }
    Latent out = latent;
    out.samples = samples;
    ctx.set_output(0, Value(std::move(out)));
}

NodeSchema& common_inputs(NodeSchema& s) {
    s.required(Input::integer("steps", 20).min(1).max(10000))
        .required(Input::floating("cfg", 8.0).min(0.0).max(100.0).step(0.1).round(0.01))
        .required(Input::combo("sampler_name", kSamplers))
        .required(Input::combo("scheduler", kSchedulers))
        .required(Input::type_of("positive", "CONDITIONING"))
        .required(Input::type_of("negative", "CONDITIONING"))
        .required(Input::type_of("latent_image", "LATENT"));
    return s;
}

}  // namespace

void register_sampler_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("KSampler")};
        d.schema.category("sampling").exclusive();
        d.schema.required(Input::type_of("model", "MODEL"))
            .required(Input::integer("seed", 0).min(0).max(Value(uint64_t{18446744073709551615ull})).with_control_after_generate());
        common_inputs(d.schema).required(Input::floating("denoise", 1.0).min(0.0).max(1.0).step(0.01)).output("LATENT");
        d.execute = [](NodeContext& ctx) {
            models::KSamplerParams p;
            p.denoise = ctx.get_float("denoise");
            run_sampler(ctx, p, "seed");
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("KSamplerAdvanced")};
        d.schema.display("KSampler (Advanced)").category("sampling").exclusive();
        d.schema.required(Input::type_of("model", "MODEL"))
            .required(Input::combo("add_noise", {"enable", "disable"}))
            .required(Input::integer("noise_seed", 0).min(0).max(Value(uint64_t{18446744073709551615ull})).with_control_after_generate());
        common_inputs(d.schema)
            .required(Input::integer("start_at_step", 0).min(0).max(10000))
            .required(Input::integer("end_at_step", 10000).min(0).max(10000))
            .required(Input::combo("return_with_leftover_noise", {"disable", "enable"}))
            .output("LATENT");
        d.execute = [](NodeContext& ctx) {
            models::KSamplerParams p;
            p.add_noise = ctx.get_string("add_noise") == "enable";
            p.start_step = static_cast<int>(ctx.get_int("start_at_step"));
            p.last_step = static_cast<int>(ctx.get_int("end_at_step"));
            p.force_full_denoise = ctx.get_string("return_with_leftover_noise") != "enable";
            run_sampler(ctx, p, "noise_seed");
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
