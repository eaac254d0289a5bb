// families/sd1/lora_apply.h — LoraLoader's work: a LoRA file applied to a MODEL and a CLIP at two
// strengths, giving new MODEL and CLIP values that share every base weight with the originals.
//
//   LoraFile f = read_lora_file(path);
//   PatchedModels p = apply_lora(model, clip, f, 0.8f, 0.8f);   // p.model, p.clip: structural copies
//   if (!p.report.complete()) log(p.report.message());
//
// A patched network is a copy of the base's structure (layers by pointer, packed weights shared);
// each layer a module targets carries an adapter that adds strength·scale·ΔW·x in its forward, so
// trying another strength or another LoRA allocates the adapters only. Several LoRAs stack: apply
// to an already patched model and the adapters add up, in order.
#pragma once

#include "blocks/lora/lora_file.h"
#include "families/sd1/checkpoint.h"

#include <memory>
#include <string>
#include <vector>

namespace weft::lora {

struct ApplyReport {
    std::string path;
    size_t modules = 0;                 // modules in the file
    size_t applied_unet = 0, applied_clip = 0;
    size_t for_absent_clip = 0;         // text-encoder modules while no CLIP was given (LoraLoaderModelOnly)
    std::vector<std::string> unmatched; // "name (why)" of modules applied nowhere
    size_t adapter_bytes = 0;           // memory the adapters hold

    size_t matched() const { return applied_unet + applied_clip; }
    bool complete() const { return unmatched.empty(); }
    /// "style.safetensors: 61 of 61 LoRA modules applied (49 UNet, 12 CLIP)" plus the names that
    /// matched nothing (the first few) when some did not.
    std::string message() const;
};

struct PatchedModels {
    std::shared_ptr<const models::DiffusionModel> model;  // the input itself when strength_model is 0 or nothing matched
    std::shared_ptr<const models::TextEncoder> clip;      // likewise (null when no CLIP was given)
    ApplyReport report;
};

/// Applies `file` to `model` (may be null) and `clip` (may be null). Throws weft::Error naming the
/// file when no module matches a layer of either (a LoRA for another model family, a renamed
/// file); modules that match nothing or do not fit their layer are listed in the report.
PatchedModels apply_lora(std::shared_ptr<const models::DiffusionModel> model, std::shared_ptr<const models::TextEncoder> clip,
                         const LoraFile& file, float strength_model, float strength_clip);

}  // namespace weft::lora
