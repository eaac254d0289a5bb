// Text conditioning: CLIPTextEncode, CLIPSetLastLayer, ConditioningCombine, ConditioningZeroOut.
#include "families/sd1/text_encode.h"
#include "nodes/node_families.h"
#include "nodes/sd_objects.h"
#include "tensor/ops/ops.h"

#include <weft/node.h>
#include <weft/registry.h>

namespace weft::nodes {

void register_sd_conditioning_nodes(NodeRegistry& r) {
    {
        NodeDefinition d{NodeSchema("CLIPTextEncode")};
        d.schema.display("CLIP Text Encode (Prompt)").category("conditioning").exclusive();
        d.schema.required(Input::string("text").is_multiline()).required(Input::type_of("clip", "CLIP")).output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            auto clip = ctx.get_object<models::TextEncoder>("clip");
            models::EncodedPrompt e;
            try {
                e = models::encode_prompt(*clip, ctx.get_string("text"));
            } catch (Error& err) {
                err.at_input("text");
                throw;
            }
            auto extras = std::make_shared<Dict>();
            (*extras)["pooled_output"] = Value(e.pooled);
            ctx.set_output(0, Value(Conditioning{ConditioningItem{e.cond, extras}}));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("CLIPSetLastLayer")};
        d.schema.display("CLIP Set Last Layer").category("conditioning");
        d.schema.required(Input::type_of("clip", "CLIP")).required(Input::integer("stop_at_clip_layer", -1).min(-24).max(-1).step(1)).output("CLIP");
        d.execute = [](NodeContext& ctx) {
            auto copy = std::make_shared<models::TextEncoder>(*ctx.get_object<models::TextEncoder>("clip"));  // shares the network
            copy->layer = ctx.get_int("stop_at_clip_layer");
            ctx.set_output(0, clip_value(std::move(copy)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("ConditioningCombine")};
        d.schema.display("Conditioning (Combine)").category("conditioning");
        d.schema.required(Input::type_of("conditioning_1", "CONDITIONING")).required(Input::type_of("conditioning_2", "CONDITIONING")).output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            Conditioning c = ctx.input("conditioning_1").as_conditioning();
            for (const ConditioningItem& item : ctx.input("conditioning_2").as_conditioning()) c.push_back(item);
            ctx.set_output(0, Value(std::move(c)));
        };
        r.add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("ConditioningZeroOut")};
        d.schema.category("advanced/conditioning");
        d.schema.required(Input::type_of("conditioning", "CONDITIONING")).output("CONDITIONING");
        d.execute = [](NodeContext& ctx) {
            Conditioning c;
            for (const ConditioningItem& item : ctx.input("conditioning").as_conditioning()) {
                auto extras = std::make_shared<Dict>(item.extras ? *item.extras : Dict{});
                if (auto it = extras->find("pooled_output"); it != extras->end() && it->second.is_tensor())
                    it->second = Value(Tensor::zeros(it->second.as_tensor().shape()));
                c.push_back(ConditioningItem{Tensor::zeros(item.embedding.shape()), extras});
            }
            ctx.set_output(0, Value(std::move(c)));
        };
        r.add(std::move(d));
    }
}

}  // namespace weft::nodes
