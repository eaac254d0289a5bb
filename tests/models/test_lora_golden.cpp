// LoRA against ComfyUI (../shared/goldens/components_tiny/lora): a kohya LoRA with conv, 1x1-conv
// and linear modules on the tiny UNet and CLIP at strength 0.8. Patched weights from the reference
// math, and the UNet / CLIP outputs of the adapter-patched networks.
#include "families/sd1/lora_apply.h"
#include "families/sd1/lora_keys.h"
#include "blocks/lora/lora_patch.h"
#include "families/sd1/text_encode.h"
#include "tensor/model_file.h"

#include "models_test_util.h"

#include <weft/error.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

namespace weft::lora {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = testing::goldens_dir() / "components_tiny";

#define SKIP_WITHOUT_LORA_GOLDENS() WEFT_REQUIRE_PATH(kDir / "lora" / "tiny_lora_kohya.safetensors")

std::shared_ptr<const ModelFile> tiny_file() {
    static auto file = std::make_shared<const ModelFile>(open_model_file((kDir / "tiny_sd15_components.safetensors").string()));
    return file;
}

/// max |a - b| / max |b| over the whole tensor.
double rel_error(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(shape_numel(a.shape()), shape_numel(b.shape()));
    Tensor ac = a.to(DType::F32).contiguous(), bc = b.to(DType::F32).contiguous();
    double diff = 0, ref = 0;
    for (int64_t i = 0; i < bc.numel(); ++i) {
        diff = std::max(diff, std::abs(double(ac.data<float>()[i]) - bc.data<float>()[i]));
        ref = std::max(ref, std::abs(double(bc.data<float>()[i])));
    }
    return diff / std::max(ref, 1e-12);
}

// Loaded once: the tests below only read them (patching makes copies).
std::shared_ptr<const models::DiffusionModel> tiny_model() {
    static const auto model = [] {
        auto m = std::make_shared<models::DiffusionModel>();
        m->unet = nets::UNet::load(nets::WeightTable(tiny_file(), "model.diffusion_model."), {.heads = 2});
        return std::shared_ptr<const models::DiffusionModel>(std::move(m));
    }();
    return model;
}

std::shared_ptr<const models::TextEncoder> tiny_clip(bool with_tokenizer) {
    static const auto net = std::make_shared<const nets::ClipText>(
        nets::ClipText::load(nets::WeightTable(tiny_file(), "cond_stage_model.transformer.text_model."), {.heads = 2}));
    auto c = std::make_shared<models::TextEncoder>();
    c->net = net;
    if (with_tokenizer)
        c->tokenizer = std::make_shared<const models::ClipTokenizer>(models::ClipTokenizer::load(testing::shared_dir() / "tokenizers" / "clip"));
    return c;
}

const LoraFile& golden_lora() {
    static const LoraFile f = read_lora_file((kDir / "lora" / "tiny_lora_kohya.safetensors").string());
    return f;
}

/// The module that the key map sends to checkpoint key `ckpt_key`.
const LoraModule* module_for(const std::string& ckpt_key) {
    std::vector<std::string> keys;
    std::string stem = ckpt_key.substr(0, ckpt_key.size() - std::string(".weight").size());
    std::map<std::string, std::string> names;
    if (stem.starts_with("model.diffusion_model.")) {
        nets::UNet unet = tiny_model()->unet;
        unet.visit_layers({[&](const std::string& k, nets::Linear&) { keys.push_back(k); }, [&](const std::string& k, nets::Conv&) { keys.push_back(k); }});
        names = unet_lora_names(keys);
        stem = stem.substr(std::string("model.diffusion_model.").size());
    } else {
        nets::ClipText clip = *tiny_clip(false)->net;
        clip.visit_layers({[&](const std::string& k, nets::Linear&) { keys.push_back(k); }, {}});
        names = clip_lora_names(keys);
        stem = stem.substr(std::string("cond_stage_model.transformer.text_model.").size());
    }
    for (const LoraModule& m : golden_lora().modules) {
        auto it = names.find(m.name);
        if (it != names.end() && it->second == stem) return &m;
    }
    return nullptr;
}

TEST(LoraGolden, FileIsReadAsKohyaModules) {
    SKIP_WITHOUT_LORA_GOLDENS();
    const LoraFile& f = golden_lora();
    EXPECT_EQ(f.modules.size(), 61u);
    EXPECT_TRUE(f.unrecognised_keys.empty());
    for (const LoraModule& m : f.modules) {
        EXPECT_EQ(m.kind, AdapterKind::LoRA) << m.name;
        EXPECT_EQ(m.format, "kohya") << m.name;
        ASSERT_TRUE(m.alpha.has_value()) << m.name;
        EXPECT_FLOAT_EQ(module_scale(m), m.name.starts_with("lora_unet_") ? 2.0f / 4 : 1.0f / 4) << m.name;
    }
    EXPECT_EQ(f.summary(), "kohya LoRA x61");
}

TEST(LoraGolden, KeyMapMatchesComfyUI) {
    SKIP_WITHOUT_LORA_GOLDENS();
    std::ifstream in(kDir / "manifest.json");
    const auto manifest = nlohmann::json::parse(in);
    std::vector<std::string> ukeys, ckeys;
    nets::UNet unet = tiny_model()->unet;
    unet.visit_layers({[&](const std::string& k, nets::Linear&) { ukeys.push_back(k); }, [&](const std::string& k, nets::Conv&) { ukeys.push_back(k); }});
    nets::ClipText clip = *tiny_clip(false)->net;
    clip.visit_layers({[&](const std::string& k, nets::Linear&) { ckeys.push_back(k); }, {}});
    const auto unames = unet_lora_names(ukeys), cnames = clip_lora_names(ckeys);
    size_t checked = 0;
    for (const auto& [lora_name, target] : manifest["lora"]["key_map_used"].items()) {
        std::string t = target.get<std::string>();
        t = t.substr(0, t.size() - 7);  // ".weight"
        if (t.starts_with("diffusion_model.")) {
            ASSERT_TRUE(unames.count(lora_name)) << lora_name;
            EXPECT_EQ("diffusion_model." + unames.at(lora_name), t);
        } else {
            ASSERT_TRUE(cnames.count(lora_name)) << lora_name;
            EXPECT_EQ("clip_l.transformer.text_model." + cnames.at(lora_name), t);
        }
        ++checked;
    }
    EXPECT_EQ(checked, 61u);
}

TEST(LoraGolden, PatchedWeightsMatchComfyUI) {
    SKIP_WITHOUT_LORA_GOLDENS();
    std::ifstream in(kDir / "manifest.json");
    const auto manifest = nlohmann::json::parse(in);
    size_t checked = 0;
    for (const auto& [key, entry] : manifest["lora"]["tensors"].items()) {
        const LoraModule* m = module_for(key);
        ASSERT_NE(m, nullptr) << key;
        const Tensor before = tiny_file()->at(key);
        EXPECT_EQ(rel_error(before, testing::load_npy(kDir / entry["before"]["file"].get<std::string>())), 0.0) << key;
        // ComfyUI keeps CLIP weights in fp16 and casts the patched weight back to it.
        const DType out = key.starts_with("cond_stage_model.") ? DType::F16 : DType::F32;
        const Tensor after = patched_weight(before, {{m, 0.8f}}, out);
        EXPECT_EQ(after.shape(), before.shape());
        EXPECT_LT(rel_error(after, testing::load_npy(kDir / entry["after"]["file"].get<std::string>())), 1e-5) << key;
        // The patch changed the weight: the comparison above is not a before == after tautology.
        EXPECT_GT(rel_error(before, testing::load_npy(kDir / entry["after"]["file"].get<std::string>())), 1e-3) << key;
        ++checked;
    }
    EXPECT_EQ(checked, 7u);
}

TEST(LoraGolden, PatchedUNetMatchesComfyUI) {
    SKIP_WITHOUT_LORA_GOLDENS();
    auto base = tiny_model();
    PatchedModels p = apply_lora(base, nullptr, golden_lora(), 0.8f, 0.8f);
    EXPECT_EQ(p.report.applied_unet, 49u);
    EXPECT_EQ(p.report.for_absent_clip, 12u);
    EXPECT_TRUE(p.report.complete()) << p.report.message();
    ASSERT_NE(p.model, base);
    const Tensor x = testing::load_npy(kDir / "unet/x.npy"), t = testing::load_npy(kDir / "unet/timesteps.npy"),
                 ctx = testing::load_npy(kDir / "unet/context.npy");
    EXPECT_LT(rel_error(p.model->unet.forward(x, t, ctx), testing::load_npy(kDir / "lora/unet_output_patched.npy")), 1e-4);
    // The base is untouched by patching its copy.
    EXPECT_LT(rel_error(base->unet.forward(x, t, ctx), testing::load_npy(kDir / "unet/output.npy")), 1e-4);
}

TEST(LoraGolden, PatchedClipMatchesComfyUI) {
    SKIP_WITHOUT_LORA_GOLDENS();
    WEFT_REQUIRE_PATH(testing::shared_dir() / "tokenizers" / "clip");
    auto base = tiny_clip(true);
    PatchedModels p = apply_lora(nullptr, base, golden_lora(), 0.8f, 0.8f);
    EXPECT_EQ(p.report.applied_clip, 12u);
    EXPECT_EQ(p.report.unmatched.size(), 49u);  // the UNet modules, with no model given
    const std::string prompt = "a photograph of an astronaut riding a horse";
    const Tensor cond = models::encode_prompt(*p.clip, prompt).cond;
    // ComfyUI's patched CLIP weights are rounded to fp16 and ours are not (the adapter adds the
    // exact delta): a few 1e-4 of difference, far below what the patch itself changes.
    const Tensor golden = testing::load_npy(kDir / "lora/clip_plain_cond_last_patched.npy");
    EXPECT_LT(rel_error(cond, golden), 2e-3);
    EXPECT_GT(rel_error(models::encode_prompt(*base, prompt).cond, golden), 2e-2);
}

}  // namespace
}  // namespace weft::lora
