#include "families/sd1/demo_model.h"

#include "blocks/text/clip_tokenizer.h"
#include "families/sd1/unet_weights.h"
#include "tensor/safetensors.h"

#include <weft/error.h>
#include <weft/demo_model.h>
#include <weft/tensor.h>

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace weft::models {

namespace fs = std::filesystem;

namespace {

/// Collects named tensors with a deterministic generator: weights N(0,1)/sqrt(fan_in), norm
/// scales 1, biases 0 (so the demo is the same file on every machine).
class Writer {
public:
    void weight(const std::string& name, Shape shape) {
        int64_t fan_in = 1;
        for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
        std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
        const float scale = 1.0f / std::sqrt(static_cast<float>(fan_in));
        for (float& x : v) x = normal() * scale;
        add(name, shape, v);
    }
    void constant(const std::string& name, Shape shape, float value) {
        add(name, shape, std::vector<float>(static_cast<size_t>(shape_numel(shape)), value));
    }
    /// Every tensor of a weight layout, in its order.
    void fill(const nets::WeightLayout& layout) {
        for (const nets::WeightSpec& s : layout.specs()) {
            if (s.role == nets::WeightRole::Weight) weight(s.name, s.shape);
            else constant(s.name, s.shape, s.role == nets::WeightRole::NormScale ? 1.0f : 0.0f);
        }
    }
    std::vector<std::pair<std::string, Tensor>> tensors;

    Writer() = default;
    explicit Writer(uint64_t seed) : rng_(seed) {}

private:
    float normal() {
        // Box-Muller on a fixed-width engine: identical on every platform, unlike std::normal_distribution.
        const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) / 9007199254740993.0;
        const double u2 = static_cast<double>(rng_() >> 11) / 9007199254740992.0;
        return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
    }
    void add(const std::string& name, const Shape& shape, const std::vector<float>& v) {
        tensors.emplace_back(name, Tensor::from_vector(shape, v).to(DType::F16));
    }
    std::mt19937_64 rng_{20261121};
};

/// The demo UNet: SD1's layout at 64 channels, two levels (attention on the second), context 128.
nets::Sd1UNetConfig demo_unet_config(int64_t mc, int64_t ctx) {
    nets::Sd1UNetConfig c;
    c.model_channels = mc;
    c.mult = {1, 2};
    c.res_blocks = 1;
    c.attention = {false, true};
    c.context_dim = ctx;
    return c;
}

void vae_resblock(nets::WeightLayout& w, const std::string& p, int64_t in, int64_t out) {
    w.norm(p + "norm1", in);
    w.conv(p + "conv1", in, out, 3);
    w.norm(p + "norm2", out);
    w.conv(p + "conv2", out, out, 3);
    if (in != out) w.conv(p + "nin_shortcut", in, out, 1);
}

void vae_mid(nets::WeightLayout& w, const std::string& p, int64_t c) {
    vae_resblock(w, p + "mid.block_1.", c, c);
    w.norm(p + "mid.attn_1.norm", c);
    for (const char* n : {"q", "k", "v", "proj_out"}) w.conv(p + "mid.attn_1." + n, c, c, 1);
    vae_resblock(w, p + "mid.block_2.", c, c);
}

void write_vae(nets::WeightLayout& w, int64_t ch, const std::vector<int64_t>& mult, int64_t blocks, int64_t z) {
    const std::string e = "first_stage_model.encoder.", d = "first_stage_model.decoder.";
    const int64_t levels = static_cast<int64_t>(mult.size());
    w.conv(e + "conv_in", 3, ch, 3);
    int64_t c = ch;
    for (int64_t i = 0; i < levels; ++i) {
        for (int64_t b = 0; b < blocks; ++b) {
            vae_resblock(w, e + "down." + std::to_string(i) + ".block." + std::to_string(b) + ".", c, ch * mult[i]);
            c = ch * mult[i];
        }
        if (i != levels - 1) w.conv(e + "down." + std::to_string(i) + ".downsample.conv", c, c, 3);
    }
    vae_mid(w, e, c);
    w.norm(e + "norm_out", c);
    w.conv(e + "conv_out", c, 2 * z, 3);
    w.conv("first_stage_model.quant_conv", 2 * z, 2 * z, 1);
    w.conv("first_stage_model.post_quant_conv", z, z, 1);
    c = ch * mult.back();
    w.conv(d + "conv_in", z, c, 3);
    vae_mid(w, d, c);
    for (int64_t i = levels - 1; i >= 0; --i) {
        for (int64_t b = 0; b <= blocks; ++b) {
            vae_resblock(w, d + "up." + std::to_string(i) + ".block." + std::to_string(b) + ".", c, ch * mult[i]);
            c = ch * mult[i];
        }
        if (i != 0) w.conv(d + "up." + std::to_string(i) + ".upsample.conv", c, c, 3);
    }
    w.norm(d + "norm_out", c);
    w.conv(d + "conv_out", c, 3, 3);
}

void write_clip(nets::WeightLayout& w, int64_t width, int64_t layers) {
    const std::string p = "cond_stage_model.transformer.text_model.";
    w.add(p + "embeddings.token_embedding.weight", {49408, width}, nets::WeightRole::Weight);
    w.add(p + "embeddings.position_embedding.weight", {77, width}, nets::WeightRole::Weight);
    for (int64_t i = 0; i < layers; ++i) {
        const std::string l = p + "encoder.layers." + std::to_string(i) + ".";
        w.norm(l + "layer_norm1", width);
        w.norm(l + "layer_norm2", width);
        for (const char* n : {"q_proj", "k_proj", "v_proj", "out_proj"}) w.linear(l + "self_attn." + n, width, width);
        w.linear(l + "mlp.fc1", width, width * 4);
        w.linear(l + "mlp.fc2", width * 4, width);
    }
    w.norm(p + "final_layer_norm", width);
}

/// A ControlNet for the demo UNet: its encoder, a hint block taking RGB at 8x the latent size
/// (three stride-2 convs), one 1x1 zero conv per input block and one after the middle block.
nets::WeightLayout demo_controlnet(int64_t mc, int64_t ctx) {
    return nets::controlnet_weights(demo_unet_config(mc, ctx), {.widths = {16, 16, 32, 32, 48, 48, 64}}, "control_model.");
}

/// A rank-4 kohya LoRA over the demo UNet's attention projections and the CLIP attention layers.
void write_lora(Writer& w, int64_t mc, int64_t ctx, int64_t clip_width, int64_t clip_layers) {
    const int64_t rank = 4;
    auto module = [&](const std::string& name, int64_t in, int64_t out) {
        w.weight(name + ".lora_down.weight", {rank, in});
        w.weight(name + ".lora_up.weight", {out, rank});
        w.constant(name + ".alpha", {}, static_cast<float>(rank));
    };
    for (const char* block : {"down_blocks_1_attentions_0", "mid_block_attentions_0", "up_blocks_0_attentions_0", "up_blocks_0_attentions_1"}) {
        const std::string b = std::string("lora_unet_") + block + "_transformer_blocks_0_";
        for (const char* a : {"attn1", "attn2"}) {
            const int64_t kv = std::string(a) == "attn1" ? 2 * mc : ctx;
            module(b + a + "_to_q", 2 * mc, 2 * mc);
            module(b + a + "_to_k", kv, 2 * mc);
            module(b + a + "_to_v", kv, 2 * mc);
            module(b + a + "_to_out_0", 2 * mc, 2 * mc);
        }
    }
    for (int64_t i = 0; i < clip_layers; ++i)
        for (const char* n : {"q_proj", "k_proj", "v_proj", "out_proj"})
            module("lora_te_text_model_encoder_layers_" + std::to_string(i) + "_self_attn_" + n, clip_width, clip_width);
}

/// A 2x ESRGAN (RRDBNet in the Real-ESRGAN key layout): 16 features, growth 8, 2 blocks.
void write_upscaler(nets::WeightLayout& w) {
    const int64_t nf = 16, gc = 8, blocks = 2;
    w.conv("conv_first", 3, nf, 3);
    for (int64_t i = 0; i < blocks; ++i)
        for (int k = 1; k <= 3; ++k)
            for (int j = 1; j <= 5; ++j)
                w.conv("body." + std::to_string(i) + ".rdb" + std::to_string(k) + ".conv" + std::to_string(j), nf + (j - 1) * gc,
                       j == 5 ? nf : gc, 3);
    w.conv("conv_body", nf, nf, 3);
    w.conv("conv_up1", nf, nf, 3);
    w.conv("conv_hr", nf, nf, 3);
    w.conv("conv_last", nf, 3, 3);
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

void write_vocabulary(const fs::path& dir) {
    fs::create_directories(dir);
    std::vector<std::string> symbols;
    for (int b = 0; b < 256; ++b) symbols.push_back(byte_symbol(static_cast<unsigned char>(b)));
    const std::vector<std::pair<std::string, std::string>> merges = {{"t", "h"}, {"e", "r</w>"}, {"i", "n"}, {"a", "n"}, {"o", "n</w>"}};
    std::ofstream vocab(dir / "vocab.json", std::ios::trunc);
    vocab << "{";
    int id = 0;
    for (const std::string& s : symbols) {
        if (id > 0) vocab << ",";
        vocab << "\"" << json_escape(s) << "\":" << id;
        ++id;
    }
    for (const std::string& s : symbols) vocab << ",\"" << json_escape(s) << "</w>\":" << id++;
    for (const auto& [a, b] : merges) vocab << ",\"" << json_escape(a + b) << "\":" << id++;
    vocab << ",\"<|startoftext|>\":49406,\"<|endoftext|>\":49407}";
    std::ofstream m(dir / "merges.txt", std::ios::trunc);
    m << "#version: 0.2 (weft demo vocabulary)\n";
    for (const auto& [a, b] : merges) m << a << " " << b << "\n";
    if (!vocab || !m) throw Error(ErrorCode::InvalidFile, "cannot write the demo vocabulary").at_path(dir.string());
}

}  // namespace

bool ensure_demo_model(const fs::path& root) {
    const fs::path ckpt = root / "checkpoints" / kDemoCheckpointName;
    const fs::path vocab = root / "tokenizers" / "clip";
    bool wrote = false;
    if (!fs::exists(vocab / "vocab.json") || !fs::exists(vocab / "merges.txt")) {
        write_vocabulary(vocab);
        wrote = true;
    }
    if (!fs::exists(ckpt)) {
        fs::create_directories(ckpt.parent_path());
        Writer w;
        nets::WeightLayout parts = nets::unet_weights(demo_unet_config(64, 128), "model.diffusion_model.");
        write_clip(parts, 128, 2);
        write_vae(parts, 32, {1, 2, 2, 2}, 1, 4);
        w.fill(parts);
        write_safetensors(ckpt.string(), w.tensors, {{"format", "pt"}, {"weft", "demo SD1-architecture checkpoint, random weights"}});
        wrote = true;
    }
    // The companions of the demo checkpoint, each with its own generator so adding one never
    // changes another's bytes.
    auto companion = [&](const char* folder, const char* name, uint64_t seed, const char* what, auto&& fill) {
        const fs::path path = root / folder / name;
        if (fs::exists(path)) return;
        fs::create_directories(path.parent_path());
        Writer w(seed);
        fill(w);
        write_safetensors(path.string(), w.tensors, {{"format", "pt"}, {"weft", what}});
        wrote = true;
    };
    companion("loras", kDemoLoraName, 20261122, "demo LoRA for weft_demo_sd1, random weights", [](Writer& w) { write_lora(w, 64, 128, 128, 2); });
    companion("controlnet", kDemoControlNetName, 20261123, "demo ControlNet for weft_demo_sd1, random weights",
              [](Writer& w) { w.fill(demo_controlnet(64, 128)); });
    companion("upscale_models", kDemoUpscaleModelName, 20261124, "demo 2x ESRGAN, random weights", [](Writer& w) {
        nets::WeightLayout esrgan;
        write_upscaler(esrgan);
        w.fill(esrgan);
    });
    return wrote;
}

}  // namespace weft::models

namespace weft {
const char* demo_checkpoint_name() { return models::kDemoCheckpointName; }
const char* demo_lora_name() { return models::kDemoLoraName; }
const char* demo_controlnet_name() { return models::kDemoControlNetName; }
const char* demo_upscale_model_name() { return models::kDemoUpscaleModelName; }
bool ensure_demo_model(const std::filesystem::path& models_root) { return models::ensure_demo_model(models_root); }
}  // namespace weft
