// LoraLoader and LoraLoaderModelOnly end to end on the tiny SD1.5 checkpoint (tests/support/
// sd15_tiny.h): CheckpointLoaderSimple -> LoraLoader -> LoraLoaderModelOnly -> KSampler -> VAEDecode.
// The LoRA image differs from the plain one, equals it at strength 0, and equals (within one
// level) a plain run of a checkpoint whose weights the test patched itself; a LoRA that matches
// nothing fails the node with the file's name.
#include "node_runner.h"
#include "sd15_tiny.h"
#include "tensor/model_file.h"
#include "tensor/safetensors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>

namespace weft::testing {
namespace {

namespace fs = std::filesystem;

Tensor randn(const Shape& shape, float stddev, uint32_t seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> dist(0.0f, stddev);
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& x : v) x = dist(gen);
    return Tensor::from_vector(shape, v);
}

std::vector<float> values(const Tensor& t) {
    const Tensor c = t.to(DType::F32).contiguous();
    return {c.data<float>(), c.data<float>() + c.numel()};
}

/// a [n, k] x b [k, m] (b flattened after its first dimension), plain loops in double.
std::vector<float> mm(const Tensor& a, const Tensor& b) {
    const int64_t n = a.size(0), k = a.numel() / n, m = b.numel() / b.size(0);
    const auto x = values(a), y = values(b);
    std::vector<float> out(static_cast<size_t>(n * m));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) {
            double s = 0;
            for (int64_t p = 0; p < k; ++p) s += double(x[i * k + p]) * y[p * m + j];
            out[i * m + j] = float(s);
        }
    return out;
}

/// Patched weights (checkpoint key -> W + strength·scale·ΔW so far).
using Patched = std::map<std::string, std::vector<float>>;

void add_delta(Patched& patched, const ModelFile& ckpt, const std::string& key, const std::vector<float>& delta, float factor) {
    auto it = patched.find(key);
    if (it == patched.end()) it = patched.emplace(key, values(ckpt.at(key))).first;
    ASSERT_EQ(it->second.size(), delta.size()) << key;
    for (size_t i = 0; i < delta.size(); ++i) it->second[i] += factor * delta[i];
}

class LoraNodes : public ::testing::Test {
protected:
    NodeRunner nr;
    fs::path ckpt;

    void SetUp() override {
        std::string why;
        ckpt = tiny_sd15_checkpoint(why);
        if (ckpt.empty()) GTEST_SKIP() << why;
        const fs::path vocab = fs::path(WEFT_SHARED_DIR) / "tokenizers" / "clip";
        if (!fs::exists(vocab / "vocab.json")) GTEST_SKIP() << "CLIP tokenizer absent: " << vocab;
        const fs::path models = nr.folders().models.front();
        fs::create_directories(models / "checkpoints");
        fs::create_directories(models / "loras");
        fs::create_directories(models / "tokenizers");
        // A hard link (the model list does not follow file symlinks by name); a copy across filesystems.
        std::error_code ec;
        fs::create_hard_link(ckpt, models / "checkpoints" / "tiny.safetensors", ec);
        if (ec) fs::copy_file(ckpt, models / "checkpoints" / "tiny.safetensors");
        fs::create_directory_symlink(vocab, models / "tokenizers" / "clip");
    }

    fs::path models() const { return nr.folders().models.front(); }

    /// ckpt -> [LoraLoader] -> [LoraLoaderModelOnly] -> KSampler -> VAEDecode -> PreviewImage.
    RunResult run(const std::string& ckpt_name, const std::string& lora, double sm, double sc, const std::string& lora2, double sm2,
                  bool expect_ok = true) {
        nlohmann::json wf = {
            {"1", {{"class_type", "CheckpointLoaderSimple"}, {"inputs", {{"ckpt_name", ckpt_name}}}}},
            {"3", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", "a photograph of an astronaut riding a horse"}, {"clip", {"1", 1}}}}}},
            {"4", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", "blurry"}, {"clip", {"1", 1}}}}}},
            {"5", {{"class_type", "EmptyLatentImage"}, {"inputs", {{"width", 64}, {"height", 64}, {"batch_size", 1}}}}},
            {"6", {{"class_type", "KSampler"},
                   {"inputs", {{"seed", 42}, {"steps", 2}, {"cfg", 7.0}, {"sampler_name", "euler"}, {"scheduler", "normal"}, {"denoise", 1.0},
                               {"model", {"1", 0}}, {"positive", {"3", 0}}, {"negative", {"4", 0}}, {"latent_image", {"5", 0}}}}}},
            {"7", {{"class_type", "VAEDecode"}, {"inputs", {{"samples", {"6", 0}}, {"vae", {"1", 2}}}}}},
            {"8", {{"class_type", "PreviewImage"}, {"inputs", {{"images", {"7", 0}}}}}},
        };
        nlohmann::json model = {"1", 0}, clip = {"1", 1};
        if (!lora.empty()) {
            wf["10"] = {{"class_type", "LoraLoader"},
                        {"inputs", {{"model", model}, {"clip", clip}, {"lora_name", lora}, {"strength_model", sm}, {"strength_clip", sc}}}};
            model = {"10", 0};
            clip = {"10", 1};
        }
        if (!lora2.empty()) {
            wf["11"] = {{"class_type", "LoraLoaderModelOnly"}, {"inputs", {{"model", model}, {"lora_name", lora2}, {"strength_model", sm2}}}};
            model = {"11", 0};
        }
        wf["6"]["inputs"]["model"] = model;
        wf["3"]["inputs"]["clip"] = clip;
        wf["4"]["inputs"]["clip"] = clip;
        return nr.run(Workflow::parse(wf.dump()), {"6", "7"}, expect_ok);
    }
};

/// Max difference in 8-bit levels between two IMAGE tensors (as a saved PNG would round them).
int level_difference(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    const auto x = values(a), y = values(b);
    int worst = 0;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        auto level = [](float v) { return static_cast<int>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
        worst = std::max(worst, std::abs(level(x[i]) - level(y[i])));
    }
    return worst;
}

double rel_error(const Tensor& a, const Tensor& b) {
    const auto x = values(a), y = values(b);
    double diff = 0, ref = 0;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        diff = std::max(diff, std::abs(double(x[i]) - y[i]));
        ref = std::max(ref, std::abs(double(y[i])));
    }
    return diff / std::max(ref, 1e-12);
}

TEST_F(LoraNodes, LoraImageMatchesAPatchedCheckpoint) {
    const ModelFile base = open_model_file(ckpt.string());
    Patched patched;
    const std::string U = "model.diffusion_model.", C = "cond_stage_model.transformer.text_model.";

    // kohya, diffusers names, with alpha: UNet linear, 1x1 conv, 3x3 conv; CLIP linears.
    const float sm = 0.9f, sc = 0.8f;
    {
        std::vector<std::pair<std::string, Tensor>> t;
        const std::vector<std::pair<std::string, std::string>> targets = {
            {"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", U + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"},
            {"lora_unet_down_blocks_1_attentions_0_proj_in", U + "input_blocks.3.1.proj_in.weight"},
            {"lora_unet_down_blocks_0_resnets_0_conv1", U + "input_blocks.1.0.in_layers.2.weight"},
            {"lora_te_text_model_encoder_layers_11_self_attn_q_proj", C + "encoder.layers.11.self_attn.q_proj.weight"},
            {"lora_te_text_model_encoder_layers_10_mlp_fc1", C + "encoder.layers.10.mlp.fc1.weight"},
        };
        uint32_t seed = 1;
        for (const auto& [name, key] : targets) {
            const Tensor& w = base.at(key);
            const int64_t r = 8, out = w.size(0), in = w.size(1);
            const bool conv = w.dim() == 4;
            const Tensor down = randn(conv ? Shape{r, in, w.size(2), w.size(3)} : Shape{r, in}, 0.2f, seed++).to(DType::F16);
            const Tensor up = randn(conv ? Shape{out, r, 1, 1} : Shape{out, r}, 0.2f, seed++).to(DType::F16);
            t.emplace_back(name + ".lora_down.weight", down);
            t.emplace_back(name + ".lora_up.weight", up);
            t.emplace_back(name + ".alpha", Tensor::full({}, 4.0f));
            add_delta(patched, base, key, mm(up, down), (key.starts_with(U) ? sm : sc) * 4.0f / r);
        }
        write_safetensors((models() / "loras" / "kohya.safetensors").string(), t);
    }
    // LyCORIS LoHa on UNet layers, stacked through LoraLoaderModelOnly.
    const float sm2 = 0.5f;
    {
        std::vector<std::pair<std::string, Tensor>> t;
        const std::vector<std::pair<std::string, std::string>> targets = {
            {"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", U + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"},
            {"lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_2", U + "middle_block.1.transformer_blocks.0.ff.net.2.weight"},
        };
        uint32_t seed = 100;
        for (const auto& [name, key] : targets) {
            const Tensor& w = base.at(key);
            const int64_t r = 4, out = w.size(0), in = w.numel() / w.size(0);
            const Tensor w1a = randn({out, r}, 0.3f, seed++), w1b = randn({r, in}, 0.3f, seed++);
            const Tensor w2a = randn({out, r}, 0.3f, seed++), w2b = randn({r, in}, 0.3f, seed++);
            t.emplace_back(name + ".hada_w1_a", w1a);
            t.emplace_back(name + ".hada_w1_b", w1b);
            t.emplace_back(name + ".hada_w2_a", w2a);
            t.emplace_back(name + ".hada_w2_b", w2b);
            t.emplace_back(name + ".alpha", Tensor::full({}, 2.0f));
            std::vector<float> d = mm(w1a, w1b);
            const auto d2 = mm(w2a, w2b);
            for (size_t i = 0; i < d.size(); ++i) d[i] *= d2[i];
            add_delta(patched, base, key, d, sm2 * 2.0f / r);
        }
        write_safetensors((models() / "loras" / "loha.safetensors").string(), t);
    }
    // The reference checkpoint: every tensor as stored, the patched ones as F32.
    {
        std::vector<std::pair<std::string, Tensor>> t;
        for (const auto& [name, w] : base.tensors) {
            auto it = patched.find(name);
            t.emplace_back(name, it == patched.end() ? w : Tensor::from_vector(w.shape(), it->second));
        }
        write_safetensors((models() / "checkpoints" / "patched.safetensors").string(), t);
    }

    RunResult plain = run("tiny.safetensors", "", 0, 0, "", 0);
    RunResult zero = run("tiny.safetensors", "kohya.safetensors", 0.0, 0.0, "loha.safetensors", 0.0);
    RunResult lora = run("tiny.safetensors", "kohya.safetensors", sm, sc, "loha.safetensors", sm2);
    RunResult reference = run("patched.safetensors", "", 0, 0, "", 0);
    ASSERT_TRUE(plain.ok() && zero.ok() && lora.ok() && reference.ok());

    const Tensor& img_plain = plain.output("7").as_tensor();
    EXPECT_EQ(level_difference(zero.output("7").as_tensor(), img_plain), 0);
    EXPECT_EQ(rel_error(zero.output("6").as_latent().samples, plain.output("6").as_latent().samples), 0.0);

    const Tensor& img_lora = lora.output("7").as_tensor();
    EXPECT_GT(rel_error(lora.output("6").as_latent().samples, plain.output("6").as_latent().samples), 1e-2);
    EXPECT_GT(level_difference(img_lora, img_plain), 2);

    EXPECT_LT(rel_error(lora.output("6").as_latent().samples, reference.output("6").as_latent().samples), 1e-4);
    EXPECT_LE(level_difference(img_lora, reference.output("7").as_tensor()), 1);
}

TEST_F(LoraNodes, LoraMatchingNothingFailsNamingTheFile) {
    write_safetensors((models() / "loras" / "sdxl_only.safetensors").string(),
                      {{"lora_unet_input_blocks_4_1_transformer_blocks_7_attn1_to_q.lora_down.weight", randn({4, 640}, 1, 1)},
                       {"lora_unet_input_blocks_4_1_transformer_blocks_7_attn1_to_q.lora_up.weight", randn({640, 4}, 1, 2)}});
    RunResult r = run("tiny.safetensors", "sdxl_only.safetensors", 1.0, 1.0, "", 0, false);
    ASSERT_FALSE(r.ok());
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->node_id, "10");
    EXPECT_NE(r.error->exception_message.find("sdxl_only.safetensors"), std::string::npos) << r.error->exception_message;
}

}  // namespace
}  // namespace weft::testing
