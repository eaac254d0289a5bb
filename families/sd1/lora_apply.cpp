#include "families/sd1/lora_apply.h"

#include "families/sd1/lora_keys.h"
#include "blocks/lora/lora_patch.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

namespace weft::lora {

namespace {

using Targets = std::map<std::string, std::vector<const LoraModule*>>;  // layer key -> modules, in file order

std::vector<std::string> layer_keys(nets::UNet unet) {  // by value: visiting copies the layers
    std::vector<std::string> keys;
    unet.visit_layers({[&](const std::string& k, nets::Linear&) { keys.push_back(k); }, [&](const std::string& k, nets::Conv&) { keys.push_back(k); }});
    return keys;
}

std::vector<std::string> layer_keys(nets::ClipText clip) {
    std::vector<std::string> keys;
    clip.visit_layers({[&](const std::string& k, nets::Linear&) { keys.push_back(k); }, {}});
    return keys;
}

/// Rows·columns of the rows x cols matrix a factor pair (or a full matrix) makes.
int64_t product_elements(const LoraModule& m, const std::string& full, const std::string& a, const std::string& b) {
    if (m.has(full)) return m.at(full).numel();
    return m.at(a).size(0) * (m.at(b).numel() / std::max<int64_t>(1, m.at(b).size(0)));
}

/// Elements an adapter for `m` holds (for the cache's memory accounting).
int64_t adapter_elements(const LoraModule& m) {
    switch (m.kind) {
        case AdapterKind::LoRA: return m.at("down").numel() + m.at("up").numel() + (m.has("mid") ? m.at("mid").numel() : 0);
        case AdapterKind::LoHa: return product_elements(m, "", "hada_w1_a", "hada_w1_b");
        case AdapterKind::LoKr: return product_elements(m, "lokr_w1", "lokr_w1_a", "lokr_w1_b") * product_elements(m, "lokr_w2", "lokr_w2_a", "lokr_w2_b");
        case AdapterKind::Diff: return m.at("diff").numel();
        default: return 0;
    }
}

bool looks_like_text_encoder(const std::string& name) {
    return name.starts_with("lora_te") || name.starts_with("text_encoder") || name.starts_with("te_") || name.starts_with("clip_");
}

/// Attaches the targeted modules' adapters to the layers `visit` reaches; records what did not fit.
struct Attacher {
    const Targets& targets;
    float strength;
    ApplyReport& report;
    std::set<const LoraModule*>& failed;

    template <class Layer, class Make>
    void attach(const std::string& key, Layer& layer, ops::Compute mode, Make make) {
        auto it = targets.find(key);
        if (it == targets.end()) return;
        for (const LoraModule* m : it->second) {
            try {
                layer.adapters.push_back(make(*m));
                report.adapter_bytes += static_cast<size_t>(adapter_elements(*m)) * (mode == ops::Compute::BF16 ? 2 : 4);
            } catch (const Error& e) {
                // A module that does not fit its layer is skipped, as ComfyUI skips a shape mismatch.
                report.unmatched.push_back(m->name + " (" + e.message() + ")");
                failed.insert(m);
            }
        }
    }

    nets::LayerVisitor visitor() {
        return {[this](const std::string& key, nets::Linear& l) {
                    attach(key, l, l.fc.mode(), [&](const LoraModule& m) {
                        return linear_adapter(m, strength, l.fc.in_features(), l.fc.out_features(), l.fc.mode());
                    });
                },
                [this](const std::string& key, nets::Conv& c) {
                    attach(key, c, c.conv.mode(), [&](const LoraModule& m) {
                        return conv_adapter(m, strength, c.conv, c.conv.mode());
                    });
                }};
    }
};

}  // namespace

std::string ApplyReport::message() const {
    const std::string file = std::filesystem::path(path).filename().string();
    std::string s = fmt::format("LoRA {}: {} of {} modules applied ({} UNet, {} CLIP)", file, matched(), modules, applied_unet, applied_clip);
    if (for_absent_clip) s += fmt::format("; {} text-encoder modules unused (no CLIP)", for_absent_clip);
    if (!unmatched.empty()) {
        s += fmt::format("; {} not applied:", unmatched.size());
        for (size_t i = 0; i < unmatched.size() && i < 8; ++i) s += (i ? ", " : " ") + unmatched[i];
        if (unmatched.size() > 8) s += fmt::format(", ... ({} more)", unmatched.size() - 8);
    }
    return s;
}

PatchedModels apply_lora(std::shared_ptr<const models::DiffusionModel> model, std::shared_ptr<const models::TextEncoder> clip,
                         const LoraFile& file, float strength_model, float strength_clip) {
    PatchedModels out{model, clip, {}};
    ApplyReport& report = out.report;
    report.path = file.path;
    report.modules = file.modules.size();

    const auto unet_names = model ? unet_lora_names(layer_keys(model->unet)) : std::map<std::string, std::string>{};
    const auto clip_names = clip ? clip_lora_names(layer_keys(*clip->net)) : std::map<std::string, std::string>{};
    Targets unet_targets, clip_targets;
    for (const LoraModule& m : file.modules) {
        if (m.kind == AdapterKind::Unsupported) {
            report.unmatched.push_back(m.name + " (" + m.why_unsupported + ")");
            continue;
        }
        if (auto it = unet_names.find(m.name); it != unet_names.end()) {
            unet_targets[it->second].push_back(&m);
        } else if (auto jt = clip_names.find(m.name); jt != clip_names.end()) {
            clip_targets[jt->second].push_back(&m);
        } else if (!clip && looks_like_text_encoder(m.name)) {
            ++report.for_absent_clip;
        } else {
            report.unmatched.push_back(m.name + " (no such layer)");
        }
    }
    auto count = [](const Targets& t) {
        size_t n = 0;
        for (const auto& [key, ms] : t) n += ms.size();
        return n;
    };
    if (unet_targets.empty() && clip_targets.empty() && report.for_absent_clip == 0)
        throw Error(ErrorCode::ModelLoadFailed,
                    fmt::format("LoRA {} matches no layer of the model{} ({} modules: {}; e.g. '{}'): is it for another model family?", file.path,
                                clip ? " or CLIP" : "", file.modules.size(), file.summary(), file.modules.empty() ? "" : file.modules.front().name),
                    file.path)
            .at_path(file.path);

    std::set<const LoraModule*> failed;
    if (model && !unet_targets.empty() && strength_model != 0.0f) {
        auto patched = std::make_shared<models::DiffusionModel>(*model);
        const size_t before = report.adapter_bytes;
        Attacher a{unet_targets, strength_model, report, failed};
        patched->unet.visit_layers(a.visitor());
        // The copy's own memory is its adapters; the base weights stay accounted to the base.
        patched->bytes = report.adapter_bytes - before;
        out.model = std::move(patched);
    }
    if (clip && !clip_targets.empty() && strength_clip != 0.0f) {
        auto patched = std::make_shared<models::TextEncoder>(*clip);
        auto net = std::make_shared<nets::ClipText>(*clip->net);
        const size_t before = report.adapter_bytes;
        Attacher a{clip_targets, strength_clip, report, failed};
        net->visit_layers(a.visitor());
        patched->net = std::move(net);
        patched->bytes = report.adapter_bytes - before;
        out.clip = std::move(patched);
    }
    report.applied_unet = count(unet_targets);
    report.applied_clip = count(clip_targets);
    for (const LoraModule* m : failed) (unet_names.count(m->name) ? report.applied_unet : report.applied_clip) -= 1;
    return out;
}

}  // namespace weft::lora
