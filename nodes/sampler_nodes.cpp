// KSampler and KSamplerAdvanced: the UNet under ComfyUI's sampling (models/sampling), reporting one
// progress step (and, when asked, a preview) per sampler step and stopping between steps when the
// run is cancelled.
#include "sampling/conditioning_eval.h"
#include "sampling/ksampler.h"
#include "nodes/node_families.h"
#include "nodes/sampling_inputs.h"
#include "nodes/sampling_objects.h"
#include "nodes/sampling_progress.h"
#include "tensor/ops/ops.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

namespace {

void run_sampler(NodeContext& ctx, models::KSamplerParams p, const char* seed_input_name) {
    auto model = ctx.get_object<models::DiffusionModel>("model");
    const Latent& latent = ctx.get_latent("latent_image");
    const models::CondList pos = model_conditioning(ctx, "positive", *model);
    const models::CondList neg = model_conditioning(ctx, "negative", *model);
    check_latent(ctx, "latent_image", latent, *model);
    models::SamplingJob job;
    job.sampler.info = &sampler_input(ctx, "sampler_name");
    job.seed = ctx.input(seed_input_name).as_uint64();
    job.batch_index = latent.batch_index;
    job.noise_mask = latent.noise_mask;
    job.callback = sampling_progress(ctx);
    p.steps = static_cast<int>(ctx.get_int("steps"));
    p.cfg = ctx.get_float("cfg");
    p.scheduler = &scheduler_input(ctx, "scheduler");
    p.guidance = model->guidance;  // RescaleCFG and other sampling patches
    Tensor samples;
    {
        const Tensor start = latent.samples.to(DType::F32).contiguous();
        // Inpainting UNets take extra input channels (mask, masked latent) from the conditioning.
        const models::DenoiseFn fn = models::conditioned_denoiser({model->unet, model->sampling}, {&pos, &neg}, start, latent.noise_mask, job.latent_scale);
        samples = models::ksample_denoised(model->sampling, fn, start, p, job);
    }
    Latent out = latent;
    out.samples = samples;
    ctx.set_output(0, Value(std::move(out)));
}

NodeSchema& common_inputs(NodeSchema& s) {
    s.required(steps_input())
        .required(cfg_input("cfg"))
        .required(sampler_combo("sampler_name"))
        .required(scheduler_combo("scheduler"))
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
            .required(seed_input("seed"));
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
            .required(seed_input("noise_seed"));
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
