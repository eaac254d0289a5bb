// Model patches that change how a MODEL samples (ComfyUI's comfy_extras/nodes_model_advanced):
// ModelSamplingDiscrete (another prediction type / zero terminal SNR), ModelSamplingSD3 and
// ModelSamplingAuraFlow (flow matching with a shift) and RescaleCFG. Each returns a copy of the
// MODEL sharing the network's weights.
#include "sampling/rescale_cfg.h"
#include "nodes/node_families.h"
#include "nodes/sd_objects.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

namespace {

/// ModelSamplingSD3 (multiplier 1000) and ModelSamplingAuraFlow (multiplier 1): the flow table
/// with the node's shift (ComfyUI's ModelSamplingDiscreteFlow with the CONST type).
void add_flow_node(NodeRegistry& r, const char* name, double default_shift, double multiplier) {
    NodeDefinition d{NodeSchema(name)};
    d.schema.category("advanced/model").module("comfy_extras.nodes_model_advanced");
    d.schema.required(Input::type_of("model", "MODEL"))
        .required(Input::floating("shift", default_shift).min(0.0).max(100.0).step(0.01))
        .output("MODEL");
    d.execute = [multiplier](NodeContext& ctx) {
        auto m = std::make_shared<models::DiffusionModel>(*ctx.get_object<models::DiffusionModel>("model"));
        m->sampling = models::ModelSamplingDiscrete::flow(ctx.get_float("shift"), multiplier);
        ctx.set_output(0, model_value(std::move(m)));
    };
    r.add(std::move(d));
}

}  // namespace

void register_model_sampling_nodes(NodeRegistry& r) {
    add_flow_node(r, "ModelSamplingSD3", 3.0, 1000.0);
    add_flow_node(r, "ModelSamplingAuraFlow", 1.73, 1.0);
    {
        NodeDefinition d{NodeSchema("ModelSamplingDiscrete")};
        d.schema.category("advanced/model").module("comfy_extras.nodes_model_advanced");
        d.schema.required(Input::type_of("model", "MODEL"))
            .required(Input::combo("sampling", {"eps", "v_prediction", "lcm", "x0", "img_to_img"}))
            .required(Input::boolean("zsnr", false))
            .output("MODEL");
        d.execute = [](NodeContext& ctx) {
            auto m = std::make_shared<models::DiffusionModel>(*ctx.get_object<models::DiffusionModel>("model"));
            try {
                m->sampling = models::ModelSamplingDiscrete::sd1_named(ctx.get_string("sampling"), ctx.get_bool("zsnr"));
            } catch (Error& e) {
                e.at_input("sampling");
                throw;
            }
            ctx.set_output(0, model_value(std::move(m)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("RescaleCFG")};
        d.schema.category("advanced/model").module("comfy_extras.nodes_model_advanced");
        d.schema.required(Input::type_of("model", "MODEL"))
            .required(Input::floating("multiplier", 0.7).min(0.0).max(1.0).step(0.01))
            .output("MODEL");
        d.execute = [](NodeContext& ctx) {
            auto m = std::make_shared<models::DiffusionModel>(*ctx.get_object<models::DiffusionModel>("model"));
            const double multiplier = ctx.get_float("multiplier");
            // Replaces any earlier cfg function, as ComfyUI's set_model_sampler_cfg_function does.
            m->guidance.cfg_function = [multiplier](const models::CfgArgs& a) { return models::rescale_cfg(a, multiplier); };
            ctx.set_output(0, model_value(std::move(m)));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
