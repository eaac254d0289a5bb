#include "nodes/sampling_progress.h"

#include "sampling/latent_preview.h"

namespace weft::nodes {

models::StepCallback sampling_progress(NodeContext& ctx) {
    const bool previews = ctx.previews_enabled();
    return [&ctx, previews](const models::StepInfo& s) {
        // Progress first (it throws when cancelled, so a cancelled step shows no preview), then the
        // preview, the order ComfyUI's clients see.
        ctx.progress(s.i + 1, s.total);
        // Latent2RGB knows SD1's 4 channels only; other latents get no preview.
        if (previews && s.denoised && s.denoised->dim() == 4 && s.denoised->size(1) == 4)
            ctx.preview(models::latent_preview_rgb(*s.denoised));
    };
}

}  // namespace weft::nodes
