// Model patches that change how a MODEL samples (ComfyUI's comfy_extras/nodes_model_advanced):
// ModelSamplingDiscrete (another prediction type / zero terminal SNR) and RescaleCFG. Each
// returns a copy of the MODEL sharing the network's weights.
#include "sampling/rescale_cfg.h"
#include "nodes/node_families.h"
#include "nodes/sd_objects.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

void register_model_sampling_nodes(NodeRegistry& r) {
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
                e.at_node(ctx.node_id()).at_input("sampling");
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
