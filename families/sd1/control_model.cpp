#include "families/sd1/control_model.h"

#include "families/family.h"

#include "tensor/ops/ops.h"

#include <weft/error.h>

#include <filesystem>

namespace weft::models {

namespace {

/// "control_model." or "" for LDM ControlNets; nullopt otherwise.
std::optional<std::string> ldm_prefix(const ModelFile& f) {
    if (f.contains("control_model.zero_convs.0.0.weight")) return std::string("control_model.");
    if (f.contains("zero_convs.0.0.weight")) return std::string();
    return std::nullopt;
}

bool diffusers_adapter(const ModelFile& f) { return f.contains("adapter.body.0.resnets.0.block1.weight"); }

/// Diffusers T2I-adapter names to the original ones: adapter.body.I.resnets.J. -> body.(2I+J).,
/// adapter.body.I. -> body.(2I)., adapter. -> "" (two res-blocks per level, as ComfyUI assumes).
std::string adapter_key(const std::string& name) {
    std::string rest = name.starts_with("adapter.") ? name.substr(8) : name;
    if (!rest.starts_with("body.")) return rest;
    const size_t dot = rest.find('.', 5);
    if (dot == std::string::npos) return rest;
    const int level = std::stoi(rest.substr(5, dot - 5));
    std::string tail = rest.substr(dot + 1);
    int block = 0;
    if (tail.starts_with("resnets.")) {
        const size_t d2 = tail.find('.', 8);
        block = std::stoi(tail.substr(8, d2 - 8));
        tail = tail.substr(d2 + 1);
    }
    return "body." + std::to_string(level * 2 + block) + "." + tail;
}

std::string describe_kind(const std::string& kind) {
    if (kind == "sdxl controlnet") return "an SDXL ControlNet";
    if (kind == "sd2 controlnet") return "an SD2.x ControlNet (linear attention projections)";
    if (kind == "control-lora") return "a Control-LoRA";
    if (kind == "union controlnet") return "a union (multi-task) ControlNet";
    if (kind == "diffusers controlnet") return "a ControlNet in diffusers naming (controlnet_cond_embedding.*), not supported yet";
    if (kind == "dit controlnet") return "a ControlNet for a DiT model family (SD3, Flux, ...)";
    if (kind == "sdxl t2i-adapter") return "an SDXL T2I-adapter";
    return "neither a ControlNet nor a T2I-adapter weft recognises";
}

std::shared_ptr<const ModelFile> with_base_added(std::shared_ptr<const ModelFile> f, const std::string& prefix, const DiffusionModel& base) {
    if (base.path.empty())
        throw Error(ErrorCode::ModelLoadFailed, "the diff ControlNet needs the base model's weights, but the MODEL has no file", f->path).at_path(f->path);
    const ModelFile bf = open_model_file(base.path);
    std::string bprefix;
    bool found = false;
    for (const char* p : {"model.diffusion_model.", "model.model.", "net.", "model.", ""})
        if (bf.contains(std::string(p) + "input_blocks.0.0.weight")) {
            bprefix = p;
            found = true;
            break;
        }
    if (!found) throw Error(ErrorCode::ModelLoadFailed, "the base model file has no UNet weights (input_blocks.0.0.weight)", base.path).at_path(base.path);
    auto merged = std::make_shared<ModelFile>(*f);
    for (auto& [name, t] : merged->tensors) {
        if (!name.starts_with(prefix)) continue;
        const std::string key = bprefix + name.substr(prefix.size());
        auto it = bf.tensors.find(key);
        if (it == bf.tensors.end()) continue;  // hint block, zero convs: stored whole
        if (it->second.shape() != t.shape())
            throw Error(ErrorCode::ModelLoadFailed, "diff ControlNet tensor '" + name + "' has shape " + shape_string(t.shape()) + " but the base model's '" +
                                                 key + "' has " + shape_string(it->second.shape()) + " (" + base.path + ")",
                        f->path)
                .at_path(f->path);
        // Added in the diff's own precision, as ComfyUI adds in place.
        t = ops::add(t.to(DType::F32), it->second.to(DType::F32)).to(t.dtype());
    }
    return merged;
}

}  // namespace

std::string detect_control_kind(const ModelFile& f) {
    if (f.contains("lora_controlnet")) return "control-lora";
    if (any_key_contains(f, "control_add_embedding") || any_key_contains(f, "task_embedding")) return "union controlnet";
    if (any_key_contains(f, "controlnet_blocks.") || any_key_contains(f, "double_blocks.") || any_key_contains(f, "joint_blocks.") || any_key_contains(f, "controlnet_x_embedder"))
        return "dit controlnet";
    if (f.contains("controlnet_cond_embedding.conv_in.weight"))
        return f.contains("add_embedding.linear_1.weight") ? "sdxl controlnet" : "diffusers controlnet";
    if (auto p = ldm_prefix(f)) {
        if (f.contains(*p + "label_emb.0.0.weight")) return "sdxl controlnet";
        for (const auto& [name, t] : f.tensors)
            if (name.starts_with(*p) && name.ends_with("proj_in.weight") && t.dim() == 2) return "sd2 controlnet";
        if (f.contains(*p + "input_hint_block.0.weight") && f.contains(*p + "input_blocks.0.0.weight")) return "controlnet";
        return "unknown";
    }
    if (f.contains("body.0.in_conv.weight") || diffusers_adapter(f) || f.contains("conv_in.weight")) {
        const std::string conv_in = f.contains("conv_in.weight") ? "conv_in.weight" : diffusers_adapter(f) ? "adapter.conv_in.weight" : "";
        if (!conv_in.empty() && f.contains(conv_in) && f.at(conv_in).dim() == 4) {
            const int64_t cin = f.at(conv_in).size(1);
            if (cin == 256 || cin == 768) return "sdxl t2i-adapter";
        }
        if (f.contains("body.0.block1.weight") || f.contains("body.0.in_conv.weight") || diffusers_adapter(f)) return "t2i-adapter";
    }
    return "unknown";
}

std::shared_ptr<const ControlModel> load_control_model(const std::string& path, const DiffusionModel* base, ops::Compute mode) {
    auto f = std::make_shared<const ModelFile>(open_model_file(path));
    const std::string kind = detect_control_kind(*f);
    if (kind != "controlnet" && kind != "t2i-adapter")
        throw Error(ErrorCode::ModelLoadFailed, path + " is " + describe_kind(kind) + "; weft runs ControlNets and T2I-adapters for SD1.x models", path)
            .at_path(path);
    auto m = std::make_shared<ControlModel>();
    m->path = path;
    for (const auto& [name, t] : f->tensors) m->bytes += t.nbytes();
    if (kind == "controlnet") {
        const std::string prefix = *ldm_prefix(*f);
        if (base && f->contains("difference")) f = with_base_added(f, prefix, *base);
        m->controlnet = nets::ControlNet::load(nets::WeightTable(f, prefix), {.heads = 8, .mode = mode});
        const std::string stem = std::filesystem::path(path).stem().string();
        m->global_average_pooling = stem.ends_with("_shuffle") || stem.ends_with("_shuffle_fp16");
    } else {
        if (diffusers_adapter(*f)) {
            auto renamed = std::make_shared<ModelFile>();
            renamed->path = f->path;
            renamed->format = f->format;
            for (const auto& [name, t] : f->tensors) renamed->tensors[adapter_key(name)] = t;
            f = renamed;
        }
        m->adapter = nets::T2IAdapter::load(nets::WeightTable(f, ""), mode);
    }
    return m;
}

}  // namespace weft::models
