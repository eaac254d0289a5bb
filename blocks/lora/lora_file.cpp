#include "blocks/lora/lora_file.h"

#include "tensor/model_file.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace weft::lora {

namespace {

struct Suffix {
    const char* text;
    const char* part;
};

// Longer spellings first where one ends another (".lora.down.weight" before ".down.weight").
constexpr std::array kSuffixes = {
    Suffix{".lora_down.weight", "down"},
    Suffix{".lora_up.weight", "up"},
    Suffix{".lora_mid.weight", "mid"},
    Suffix{".lora_A.default.weight", "down"},
    Suffix{".lora_B.default.weight", "up"},
    Suffix{".lora_A.weight", "down"},
    Suffix{".lora_B.weight", "up"},
    Suffix{".lora_A", "down"},
    Suffix{".lora_B", "up"},
    Suffix{".lora_linear_layer.down.weight", "down"},
    Suffix{".lora_linear_layer.up.weight", "up"},
    Suffix{".lora.down.weight", "down"},
    Suffix{".lora.up.weight", "up"},
    Suffix{"_lora.down.weight", "down"},  // attention-processor format: "...processor.to_q_lora.down.weight"
    Suffix{"_lora.up.weight", "up"},
    Suffix{".alpha", "alpha"},
    Suffix{".dora_scale", "dora_scale"},
    Suffix{".hada_w1_a", "hada_w1_a"},
    Suffix{".hada_w1_b", "hada_w1_b"},
    Suffix{".hada_w2_a", "hada_w2_a"},
    Suffix{".hada_w2_b", "hada_w2_b"},
    Suffix{".hada_t1", "hada_t1"},
    Suffix{".hada_t2", "hada_t2"},
    Suffix{".lokr_w1_a", "lokr_w1_a"},
    Suffix{".lokr_w1_b", "lokr_w1_b"},
    Suffix{".lokr_w2_a", "lokr_w2_a"},
    Suffix{".lokr_w2_b", "lokr_w2_b"},
    Suffix{".lokr_w1", "lokr_w1"},
    Suffix{".lokr_w2", "lokr_w2"},
    Suffix{".lokr_t2", "lokr_t2"},
    Suffix{".diff_b", "diff_b"},
    Suffix{".diff", "diff"},
};

std::optional<std::pair<std::string, std::string>> split_key(const std::string& key) {
    for (const Suffix& s : kSuffixes) {
        const std::string_view suf = s.text;
        if (key.size() > suf.size() && key.ends_with(suf)) return std::pair{key.substr(0, key.size() - suf.size()), std::string(s.part)};
    }
    return std::nullopt;
}

std::string format_of(const std::string& name, AdapterKind kind) {
    if (kind == AdapterKind::LoHa || kind == AdapterKind::LoKr) return "LyCORIS";
    if (name.starts_with("lora_unet_") || name.starts_with("lora_te")) return "kohya";
    if (name.starts_with("lycoris_")) return "LyCORIS";
    return "diffusers/PEFT";
}

void classify(LoraModule& m) {
    auto unsupported = [&](std::string why) {
        m.kind = AdapterKind::Unsupported;
        m.why_unsupported = std::move(why);
    };
    if (m.has("dora_scale")) return unsupported("DoRA (dora_scale) is not supported");
    if (m.has("down") || m.has("up")) {
        if (!m.has("down") || !m.has("up")) return unsupported("a LoRA needs both its down (A) and up (B) matrices");
        m.kind = AdapterKind::LoRA;
    } else if (m.has("hada_w1_a")) {
        if (m.has("hada_t1") || m.has("hada_t2")) return unsupported("LoHa with Tucker factors (hada_t1/hada_t2) is not supported");
        if (!m.has("hada_w1_b") || !m.has("hada_w2_a") || !m.has("hada_w2_b")) return unsupported("a LoHa needs hada_w1_a, hada_w1_b, hada_w2_a and hada_w2_b");
        m.kind = AdapterKind::LoHa;
    } else if (m.has("lokr_w1") || m.has("lokr_w1_a") || m.has("lokr_w2") || m.has("lokr_w2_a")) {
        if (m.has("lokr_t2")) return unsupported("LoKr with a Tucker factor (lokr_t2) is not supported");
        const bool w1 = m.has("lokr_w1") || (m.has("lokr_w1_a") && m.has("lokr_w1_b"));
        const bool w2 = m.has("lokr_w2") || (m.has("lokr_w2_a") && m.has("lokr_w2_b"));
        if (!w1 || !w2) return unsupported("a LoKr needs lokr_w1 (or lokr_w1_a and lokr_w1_b) and lokr_w2 (or lokr_w2_a and lokr_w2_b)");
        m.kind = AdapterKind::LoKr;
    } else if (m.has("diff")) {
        m.kind = AdapterKind::Diff;
    } else if (m.has("diff_b")) {
        return unsupported("bias diffs (diff_b) are not supported");
    } else {
        return unsupported("only an alpha, no weights");
    }
    m.format = format_of(m.name, m.kind);
}

}  // namespace

const char* adapter_kind_name(AdapterKind k) {
    switch (k) {
        case AdapterKind::LoRA: return "LoRA";
        case AdapterKind::LoHa: return "LoHa";
        case AdapterKind::LoKr: return "LoKr";
        case AdapterKind::Diff: return "diff";
        case AdapterKind::Unsupported: return "unsupported";
    }
    return "?";
}

const Tensor& LoraModule::at(const std::string& part) const {
    auto it = parts.find(part);
    if (it == parts.end()) throw Error(ErrorCode::ModelLoadFailed, "LoRA module '" + name + "' has no '" + part + "' tensor");
    return it->second;
}

std::string LoraFile::summary() const {
    std::map<std::string, int> counts;
    for (const LoraModule& m : modules)
        ++counts[m.kind == AdapterKind::Unsupported ? std::string("unsupported") : m.format + " " + adapter_kind_name(m.kind)];
    std::string s;
    for (const auto& [what, n] : counts) s += (s.empty() ? "" : ", ") + fmt::format("{} x{}", what, n);
    return s.empty() ? "no modules" : s;
}

LoraFile group_lora_tensors(const std::map<std::string, Tensor>& tensors, const std::string& path) {
    LoraFile f;
    f.path = path;
    std::map<std::string, LoraModule> by_name;
    for (const auto& [key, t] : tensors) {
        auto split = split_key(key);
        if (!split) {
            f.unrecognised_keys.push_back(key);
            continue;
        }
        LoraModule& m = by_name[split->first];
        m.name = split->first;
        if (split->second == "alpha") {
            if (t.numel() != 1) throw Error(ErrorCode::ModelLoadFailed, "LoRA alpha '" + key + "' is not a scalar: " + t.describe(), path).at_path(path);
            m.alpha = t.to(DType::F32).data<float>()[0];
        } else {
            m.parts[split->second] = t;  // as stored (a view of the mapped file); the patch math converts

        }
    }
    for (auto& [name, m] : by_name) {
        classify(m);
        f.modules.push_back(std::move(m));
    }
    return f;
}

LoraFile read_lora_file(const std::string& path) {
    const ModelFile file = open_model_file(path);
    LoraFile f = group_lora_tensors(file.tensors, path);
    if (f.modules.empty())
        throw Error(ErrorCode::ModelLoadFailed,
                    fmt::format("{} holds no LoRA tensors ({} tensors, none named like lora_down/lora_up, lora_A/lora_B, hada_*, lokr_*)",
                                path, file.tensors.size()),
                    path)
            .at_path(path);
    return f;
}

}  // namespace weft::lora
