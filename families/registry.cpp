// families/registry.cpp — the one table of model families, detection over it, and the loaders
// that dispatch to the detected family. A new family adds its descriptor to kFamilies (and, if
// its marker is in kMarkers, removes it there: that list only names what is not yet registered).
#include "families/family.h"

#include "families/sd1/sd1_family.h"

#include <weft/error.h>

#include <algorithm>
#include <map>

namespace weft::models {

namespace {

/// Key fragments of architectures weft does not run yet, so a refusal says what the file is
/// (ComfyUI's model_detection tests the same keys).
constexpr std::pair<const char*, const char*> kMarkers[] = {
    {"double_blocks.", "Flux-like"},
    {"joint_blocks.", "SD3-like"},
    {"head.modulation", "Wan-like"},
    {"adaln_single.", "LTX-Video-like"},
    {"txt_in.individual_token_refiner", "HunyuanVideo-like"},
    {"label_emb.0.0.weight", "SDXL-like"},
    {"conditioner.embedders.1.model.", "SDXL-like"},
};

std::string known_names() {
    std::string s;
    for (const Family& f : registered_families()) s += (s.empty() ? "" : ", ") + std::string(f.name);
    return s;
}

[[noreturn]] void refuse(const ModelFile& file, const std::string& what, Detection (*Family::*detector)(const ModelFile&)) {
    std::string msg = describe_keys(file);
    for (const Family& f : registered_families())
        if (f.*detector) msg += "; " + std::string(f.name) + ": " + (f.*detector)(file).saw;
    msg += " — no registered " + what + " matches (known: " + known_names() + ")";
    throw Error(ErrorCode::ModelLoadFailed, msg, file.path).at_path(file.path);
}

std::shared_ptr<const ModelFile> open_shared(const std::string& path) { return std::make_shared<const ModelFile>(open_model_file(path)); }

}  // namespace

const std::vector<Family>& registered_families() {
    static const std::vector<Family> kFamilies = {
        sd1_family(),
    };
    return kFamilies;
}

const Family* find_family(const std::string& name) {
    for (const Family& f : registered_families())
        if (name == f.name) return &f;
    return nullptr;
}

const Family* family_for_clip_type(const std::string& type) {
    for (const Family& f : registered_families())
        if (f.clip_type && type == f.clip_type) return &f;
    return nullptr;
}

bool any_key_contains(const ModelFile& file, const std::string& needle) {
    return std::any_of(file.tensors.begin(), file.tensors.end(), [&](const auto& kv) { return kv.first.find(needle) != std::string::npos; });
}

std::string describe_keys(const ModelFile& file) {
    // Group keys by their first two dotted parts ("model.diffusion_model.*"), largest groups first.
    std::map<std::string, size_t> groups;
    for (const auto& [name, t] : file.tensors) {
        size_t dot = name.find('.');
        if (dot != std::string::npos) dot = name.find('.', dot + 1);
        ++groups[dot == std::string::npos ? name : name.substr(0, dot + 1) + "*"];
    }
    std::vector<std::pair<std::string, size_t>> sorted(groups.begin(), groups.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string s = std::to_string(file.tensors.size()) + " tensors: ";
    for (size_t i = 0; i < sorted.size() && i < 3; ++i) s += (i ? ", " : "") + sorted[i].first + " (" + std::to_string(sorted[i].second) + ")";
    if (sorted.size() > 3) s += ", ...";
    for (const auto& [marker, what] : kMarkers) {
        if (any_key_contains(file, marker)) {
            s += std::string(" with '") + marker + "' (" + what + ")";
            break;
        }
    }
    return s;
}

const Family& detect_family(const ModelFile& file) {
    for (const Family& f : registered_families())
        if (f.detect && f.detect(file).matches) return f;
    refuse(file, "model family", &Family::detect);
}

const Family& detect_vae_family(const ModelFile& file) {
    for (const Family& f : registered_families())
        if (f.detect_vae && f.detect_vae(file).matches) return f;
    refuse(file, "VAE latent format", &Family::detect_vae);
}

Checkpoint load_checkpoint(const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer, ops::Compute mode) {
    auto file = open_shared(path);
    return detect_family(*file).load_checkpoint(file, std::move(tokenizer), mode);
}

std::shared_ptr<const DiffusionModel> load_diffusion_model(const std::string& path, ops::Compute mode) {
    auto file = open_shared(path);
    return detect_family(*file).load_diffusion_model(file, mode);
}

std::shared_ptr<const Autoencoder> load_autoencoder(const std::string& path, ops::Compute mode) {
    auto file = open_shared(path);
    return detect_vae_family(*file).load_vae(file, mode);
}

std::shared_ptr<const TextEncoder> load_text_encoder(const Family& family, const std::string& path, std::shared_ptr<const ClipTokenizer> tokenizer,
                                                     ops::Compute mode) {
    return family.load_text_encoder(open_shared(path), std::move(tokenizer), mode);
}

}  // namespace weft::models
