// The node library's entry point: every family registers itself here.
#include "nodes/node_families.h"

#include <weft/registry.h>

namespace weft {

void register_builtin_nodes(NodeRegistry& registry) {
    nodes::register_primitive_nodes(registry);
    nodes::register_image_basic_nodes(registry);
    nodes::register_save_image_nodes(registry);
    nodes::register_image_scale_nodes(registry);
    nodes::register_image_batch_nodes(registry);
    nodes::register_image_transform_nodes(registry);
    nodes::register_image_filter_nodes(registry);
    nodes::register_image_composite_nodes(registry);
    nodes::register_mask_nodes(registry);
    nodes::register_latent_nodes(registry);
    nodes::register_latent_transform_nodes(registry);
    nodes::register_latent_math_nodes(registry);
    nodes::register_latent_file_nodes(registry);
    nodes::register_load_image_nodes(registry);
    nodes::register_sd_loader_nodes(registry);
    nodes::register_lora_nodes(registry);
    nodes::register_sd_conditioning_nodes(registry);
    nodes::register_conditioning_area_nodes(registry);
    nodes::register_inpaint_nodes(registry);
    nodes::register_vae_tiled_nodes(registry);
    nodes::register_sampler_nodes(registry);
    nodes::register_vae_nodes(registry);
    nodes::register_controlnet_nodes(registry);
    nodes::register_upscale_nodes(registry);
    nodes::register_custom_sampling_nodes(registry);
    nodes::register_model_sampling_nodes(registry);
    nodes::register_video_nodes(registry);
    nodes::register_animation_nodes(registry);
}

// The definitions are built once; each call returns a new registry sharing them (definitions are
// immutable and held by shared_ptr, so the copy is cheap). A caller may add its own nodes to the
// returned registry without affecting anyone else's.
std::shared_ptr<NodeRegistry> builtin_registry() {
    static const NodeRegistry builtins = [] {
        NodeRegistry r;
        register_builtin_nodes(r);
        return r;
    }();
    return std::make_shared<NodeRegistry>(builtins);
}

}  // namespace weft
