// blocks/lora/lora_file.h — a LoRA file read into modules: the tensors of each adapted layer grouped
// under the layer's name as the file spells it, with the kind of adapter they make.
//
//   LoraFile f = read_lora_file("models/loras/style.safetensors");
//   for (const LoraModule& m : f.modules) ...   // m.name "lora_unet_down_blocks_0_..._to_q", m.kind LoRA
//
// Recognised spellings (sd-models.md §6.1): kohya (lora_down/lora_up/alpha, LoCon with lora_mid),
// diffusers/PEFT (lora_A/lora_B, lora.down/up, lora_linear_layer.down/up, processor *_lora.down/up),
// LyCORIS LoHa (hada_w1_a ...) and LoKr (lokr_w1 ...), and full diffs (.diff).
#pragma once

#include <weft/tensor.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft::lora {

enum class AdapterKind { LoRA, LoHa, LoKr, Diff, Unsupported };

const char* adapter_kind_name(AdapterKind k);

struct LoraModule {
    std::string name;                     // the layer's name in the file ("lora_te_text_model_encoder_layers_0_mlp_fc1")
    AdapterKind kind = AdapterKind::Unsupported;
    std::string format;                   // "kohya", "diffusers/PEFT", "LyCORIS", ...
    std::map<std::string, Tensor> parts;  // canonical part name ("down", "up", "mid", "hada_w1_a", ...) -> tensor as stored
    std::optional<float> alpha;
    std::string why_unsupported;          // for Unsupported: what is missing or not handled

    bool has(const std::string& part) const { return parts.count(part) != 0; }
    const Tensor& at(const std::string& part) const;
};

struct LoraFile {
    std::string path;
    std::vector<LoraModule> modules;            // in name order
    std::vector<std::string> unrecognised_keys;  // tensors that belong to no known part

    /// "kohya LoRA x61" style summary of the modules' formats and kinds.
    std::string summary() const;
};

/// Reads and groups a LoRA file (.safetensors or a torch checkpoint); throws weft::Error naming the
/// file when it cannot be read or holds no LoRA tensors at all.
LoraFile read_lora_file(const std::string& path);

/// Groups already-loaded tensors (`path` only names them in messages).
LoraFile group_lora_tensors(const std::map<std::string, Tensor>& tensors, const std::string& path);

}  // namespace weft::lora
