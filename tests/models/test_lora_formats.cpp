// LoRA files in each format the tests write themselves (kohya on LDM and diffusers names,
// diffusers/PEFT, LyCORIS LoHa and LoKr, kohya LoCon with a Tucker mid), applied to the tiny
// UNet and CLIP of ../shared/goldens/components_tiny, against networks loaded from a copy of the
// weights file the test patched itself (W + strength·scale·ΔW with its own loops).
#include "families/sd1/lora_apply.h"
#include "families/sd1/lora_keys.h"
#include "blocks/lora/lora_patch.h"
#include "tensor/model_file.h"
#include "tensor/safetensors.h"

#include "models_test_util.h"

#include <weft/error.h>

#include <functional>
#include <random>
#include <unistd.h>

namespace weft::lora {
namespace {

namespace fs = std::filesystem;

const fs::path kComponents = testing::goldens_dir() / "components_tiny" / "tiny_sd15_components.safetensors";
const std::string kUnet = "model.diffusion_model.", kClip = "cond_stage_model.transformer.text_model.";

std::shared_ptr<const ModelFile> base_file() {
    static auto f = std::make_shared<const ModelFile>(open_model_file(kComponents.string()));
    return f;
}

std::shared_ptr<const models::DiffusionModel> load_model(std::shared_ptr<const ModelFile> f) {
    auto m = std::make_shared<models::DiffusionModel>();
    m->unet = nets::UNet::load(nets::WeightTable(f, kUnet), {.heads = 2});
    return m;
}
std::shared_ptr<const models::TextEncoder> load_clip(std::shared_ptr<const ModelFile> f) {
    auto c = std::make_shared<models::TextEncoder>();
    c->net = std::make_shared<const nets::ClipText>(nets::ClipText::load(nets::WeightTable(f, kClip), {.heads = 2}));
    return c;
}
std::shared_ptr<const models::DiffusionModel> base_model() {
    static auto m = load_model(base_file());
    return m;
}
std::shared_ptr<const models::TextEncoder> base_clip() {
    static auto c = load_clip(base_file());
    return c;
}

/// A temporary folder removed at the end of the test.
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("weft_lora_" + std::to_string(::getpid()) + "_" + std::to_string(std::random_device{}()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

Tensor randn(const Shape& shape, float stddev, uint32_t seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> dist(0.0f, stddev);
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& x : v) x = dist(gen);
    return Tensor::from_vector(shape, v);
}

// ---- the test's own reference math -------------------------------------------------------------

/// a [n, k] x b [k, m] with plain loops (any tensor shapes, flattened after dim 0).
std::vector<float> mat(const Tensor& t) { Tensor c = t.to(DType::F32).contiguous(); return {c.data<float>(), c.data<float>() + c.numel()}; }
std::vector<float> mm(const Tensor& a, const Tensor& b) {
    const int64_t n = a.size(0), k = a.numel() / n, m = b.numel() / b.size(0);
    const auto x = mat(a), y = mat(b);
    std::vector<float> out(static_cast<size_t>(n * m), 0.0f);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) {
            double s = 0;
            for (int64_t p = 0; p < k; ++p) s += double(x[i * k + p]) * y[p * m + j];
            out[i * m + j] = float(s);
        }
    return out;
}

/// One adapted layer in a test LoRA: its key in the checkpoint and its delta before strength.
struct Patch {
    std::string ckpt_key;  // "model.diffusion_model.input_blocks.3.1.proj_in.weight"
    std::vector<float> delta;  // scale·ΔW, flattened like the weight
};

/// Writes a copy of the components file with W += strength·delta for every patch (as F32).
fs::path write_patched_copy(const fs::path& dir, const std::vector<std::pair<const std::vector<Patch>*, float>>& lora) {
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const auto& [name, t] : base_file()->tensors) tensors.emplace_back(name, t);
    for (auto& [name, t] : tensors) {
        bool touched = false;
        std::vector<float> w = mat(t);
        for (const auto& [patches, strength] : lora)
            for (const Patch& p : *patches) {
                if (p.ckpt_key != name) continue;
                EXPECT_EQ(p.delta.size(), w.size()) << name;
                for (size_t i = 0; i < w.size() && i < p.delta.size(); ++i) w[i] += strength * p.delta[i];
                touched = true;
            }
        if (touched) t = Tensor::from_vector(t.shape(), w);
    }
    const fs::path out = dir / ("patched_" + std::to_string(tensors.size()) + "_" + std::to_string(lora.size()) + ".safetensors");
    write_safetensors(out.string(), tensors);
    return out;
}

// ---- test LoRA files ----------------------------------------------------------------------------

struct Target {
    std::string ldm;        // key stem in the UNet or CLIP ("input_blocks.3.1.proj_in")
    std::string diffusers;  // its diffusers name
    bool clip = false;
};

const std::vector<Target> kTargets = {
    {"input_blocks.3.1.transformer_blocks.0.attn1.to_q", "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"},
    {"input_blocks.3.1.proj_in", "down_blocks.1.attentions.0.proj_in"},  // a 1x1 conv run as a linear
    {"input_blocks.3.0.in_layers.2", "down_blocks.1.resnets.0.conv1"},   // 3x3 conv
    {"input_blocks.2.0.op", "down_blocks.0.downsamplers.0.conv"},        // strided 3x3 conv
    {"middle_block.1.transformer_blocks.0.attn2.to_k", "mid_block.attentions.0.transformer_blocks.0.attn2.to_k"},
    {"output_blocks.1.1.transformer_blocks.0.attn1.to_out.0", "up_blocks.0.attentions.1.transformer_blocks.0.attn1.to_out.0"},
    {"output_blocks.1.2.conv", "up_blocks.0.upsamplers.0.conv"},
    {"encoder.layers.0.self_attn.q_proj", "text_model.encoder.layers.0.self_attn.q_proj", true},
    {"encoder.layers.1.mlp.fc2", "text_model.encoder.layers.1.mlp.fc2", true},
};

std::string ckpt_key(const Target& t) { return (t.clip ? kClip : kUnet) + t.ldm + ".weight"; }
std::string underscored(std::string s) {
    std::replace(s.begin(), s.end(), '.', '_');
    return s;
}

enum class Format { KohyaLdm, KohyaDiffusers, Peft, LoHa, LoKr, KohyaTucker };

/// The module name `format` gives `t`.
std::string module_name(Format f, const Target& t) {
    if (t.clip) {
        if (f == Format::Peft) return "text_encoder." + t.diffusers;
        return "lora_te_" + underscored(t.diffusers);
    }
    switch (f) {
        case Format::KohyaLdm: return "lora_unet_" + underscored(t.ldm);
        case Format::Peft: return "unet." + t.diffusers;
        default: return "lora_unet_" + underscored(t.diffusers);
    }
}

/// Writes a LoRA in `format` for every target; returns its file and the reference deltas.
std::pair<fs::path, std::vector<Patch>> write_lora(const fs::path& dir, Format format, uint32_t seed) {
    std::vector<std::pair<std::string, Tensor>> tensors;
    std::vector<Patch> patches;
    const int64_t r = 4;
    for (const Target& t : kTargets) {
        const Tensor& w = base_file()->at(ckpt_key(t));
        const int64_t out = w.size(0), in = w.size(1), k = w.dim() == 4 ? w.size(2) : 1;
        const bool conv = w.dim() == 4;
        const std::string name = module_name(format, t);
        const float alpha = 2.0f;
        ++seed;
        std::vector<float> delta;
        float scale = alpha / r;
        switch (format) {
            case Format::KohyaLdm:
            case Format::KohyaDiffusers:
            case Format::Peft: {
                const Tensor down = randn(conv ? Shape{r, in, k, k} : Shape{r, in}, 0.3f, seed * 7 + 1);
                const Tensor up = randn(conv ? Shape{out, r, 1, 1} : Shape{out, r}, 0.3f, seed * 7 + 2);
                if (format == Format::Peft) {
                    tensors.emplace_back(name + ".lora_A.weight", down.to(DType::F16));
                    tensors.emplace_back(name + ".lora_B.weight", up.to(DType::F16));
                    scale = 1.0f;  // PEFT files carry no alpha
                } else {
                    tensors.emplace_back(name + ".lora_down.weight", down.to(DType::F16));
                    tensors.emplace_back(name + ".lora_up.weight", up.to(DType::F16));
                    tensors.emplace_back(name + ".alpha", Tensor::full({}, alpha));
                }
                delta = mm(up.to(DType::F16), down.to(DType::F16));
                break;
            }
            case Format::KohyaTucker: {
                if (!conv || k == 1) continue;  // Tucker mids exist for spatial convolutions only
                const Tensor down = randn({r, in, 1, 1}, 0.3f, seed * 7 + 1), mid = randn({r, r, k, k}, 0.3f, seed * 7 + 3);
                const Tensor up = randn({out, r, 1, 1}, 0.3f, seed * 7 + 2);
                tensors.emplace_back(name + ".lora_down.weight", down);
                tensors.emplace_back(name + ".lora_mid.weight", mid);
                tensors.emplace_back(name + ".lora_up.weight", up);
                tensors.emplace_back(name + ".alpha", Tensor::full({}, alpha));
                // down'[a, i, pq] = sum_b mid[a, b, pq] down[b, i]
                const auto dm = mat(down), mm_ = mat(mid);
                std::vector<float> composed(static_cast<size_t>(r * in * k * k), 0.0f);
                for (int64_t a = 0; a < r; ++a)
                    for (int64_t b = 0; b < r; ++b)
                        for (int64_t i = 0; i < in; ++i)
                            for (int64_t pq = 0; pq < k * k; ++pq) composed[(a * in + i) * k * k + pq] += mm_[(a * r + b) * k * k + pq] * dm[b * in + i];
                delta = mm(up, Tensor::from_vector({r, in * k * k}, composed));
                break;
            }
            case Format::LoHa: {
                const int64_t cols = in * k * k;
                const Tensor w1a = randn({out, r}, 0.5f, seed * 7 + 1), w1b = randn({r, cols}, 0.5f, seed * 7 + 2);
                const Tensor w2a = randn({out, r}, 0.5f, seed * 7 + 3), w2b = randn({r, cols}, 0.5f, seed * 7 + 4);
                for (auto [part, tensor] : {std::pair{"hada_w1_a", w1a}, {"hada_w1_b", w1b}, {"hada_w2_a", w2a}, {"hada_w2_b", w2b}})
                    tensors.emplace_back(name + "." + part, tensor);
                tensors.emplace_back(name + ".alpha", Tensor::full({}, alpha));
                const auto p1 = mm(w1a, w1b), p2 = mm(w2a, w2b);
                for (size_t i = 0; i < p1.size(); ++i) delta.push_back(p1[i] * p2[i]);
                break;
            }
            case Format::LoKr: {
                // out = a·c, in·k·k = b·d with w1 [a, b] full and w2 = w2_a [c, r] @ w2_b [r, d].
                const int64_t a = out % 4 == 0 ? 4 : 1, b = in % 2 == 0 ? 2 : 1;
                const int64_t c = out / a, d = in * k * k / b;
                const Tensor w1 = randn({a, b}, 0.5f, seed * 7 + 1);
                const Tensor w2a = randn({c, r}, 0.5f, seed * 7 + 2), w2b = randn({r, d}, 0.5f, seed * 7 + 3);
                tensors.emplace_back(name + ".lokr_w1", w1);
                tensors.emplace_back(name + ".lokr_w2_a", w2a);
                tensors.emplace_back(name + ".lokr_w2_b", w2b);
                tensors.emplace_back(name + ".alpha", Tensor::full({}, alpha));
                const auto v1 = mat(w1), v2 = mm(w2a, w2b);
                delta.assign(static_cast<size_t>(out * in * k * k), 0.0f);
                for (int64_t i = 0; i < a; ++i)
                    for (int64_t j = 0; j < b; ++j)
                        for (int64_t p = 0; p < c; ++p)
                            for (int64_t q = 0; q < d; ++q) delta[(i * c + p) * (b * d) + j * d + q] = v1[i * b + j] * v2[p * d + q];
                break;
            }
        }
        for (float& x : delta) x *= scale;
        patches.push_back({ckpt_key(t), std::move(delta)});
    }
    const fs::path path = dir / ("lora_" + std::to_string(static_cast<int>(format)) + "_" + std::to_string(seed) + ".safetensors");
    write_safetensors(path.string(), tensors);
    return {path, patches};
}

// ---- comparisons --------------------------------------------------------------------------------

double rel_error(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    Tensor ac = a.contiguous(), bc = b.contiguous();
    double diff = 0, ref = 0;
    for (int64_t i = 0; i < bc.numel() && i < ac.numel(); ++i) {
        diff = std::max(diff, std::abs(double(ac.data<float>()[i]) - bc.data<float>()[i]));
        ref = std::max(ref, std::abs(double(bc.data<float>()[i])));
    }
    return diff / std::max(ref, 1e-12);
}

Tensor unet_out(const models::DiffusionModel& m) {
    const fs::path g = testing::goldens_dir() / "components_tiny" / "unet";
    static const Tensor x = testing::load_npy(g / "x.npy"), t = testing::load_npy(g / "timesteps.npy"), c = testing::load_npy(g / "context.npy");
    return m.unet.forward(x, t, c);
}

Tensor clip_out(const models::TextEncoder& c) {
    std::vector<std::vector<int64_t>> ids = {{49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407, 49407, 49407}};
    return c.net->forward(ids, -1).hidden;
}

struct Outputs {
    Tensor unet, clip;
};

/// The reference: networks loaded from a copy of the weights patched by the test.
Outputs reference(const fs::path& dir, const std::vector<std::pair<const std::vector<Patch>*, float>>& lora) {
    auto f = std::make_shared<const ModelFile>(open_model_file(write_patched_copy(dir, lora).string()));
    return {unet_out(*load_model(f)), clip_out(*load_clip(f))};
}

class LoraFormats : public ::testing::TestWithParam<Format> {
protected:
    void SetUp() override { WEFT_REQUIRE_PATH(kComponents); }
    TempDir tmp;
};

TEST_P(LoraFormats, AdaptersMatchPatchedWeights) {
    auto [path, patches] = write_lora(tmp.path, GetParam(), 100);
    const LoraFile file = read_lora_file(path.string());
    PatchedModels p = apply_lora(base_model(), base_clip(), file, 0.7f, -0.6f);
    EXPECT_TRUE(p.report.complete()) << p.report.message();
    EXPECT_EQ(p.report.matched(), file.modules.size()) << p.report.message();
    ASSERT_NE(p.model, base_model());

    // The CLIP patches at the CLIP strength: a reference with per-net strengths.
    std::vector<Patch> unet_patches, clip_patches;
    for (const Patch& q : patches) (q.ckpt_key.starts_with(kClip) ? clip_patches : unet_patches).push_back(q);
    const Outputs want = reference(tmp.path, {{&unet_patches, 0.7f}, {&clip_patches, -0.6f}});
    const Tensor got_unet = unet_out(*p.model);
    EXPECT_LT(rel_error(got_unet, want.unet), 1e-4);
    EXPECT_GT(rel_error(unet_out(*base_model()), want.unet), 1e-3) << "the LoRA changes nothing: the test would prove nothing";
    if (!clip_patches.empty()) {
        ASSERT_NE(p.clip, base_clip());
        EXPECT_LT(rel_error(clip_out(*p.clip), want.clip), 1e-4);
        EXPECT_GT(rel_error(clip_out(*base_clip()), want.clip), 1e-3);
    }
}

std::string format_name(const ::testing::TestParamInfo<Format>& i) {
    static const std::vector<std::string> names = {"KohyaLdm", "KohyaDiffusers", "Peft", "LoHa", "LoKr", "KohyaTucker"};
    return names[static_cast<size_t>(i.param)];
}

INSTANTIATE_TEST_SUITE_P(Formats, LoraFormats,
                         ::testing::Values(Format::KohyaLdm, Format::KohyaDiffusers, Format::Peft, Format::LoHa, Format::LoKr, Format::KohyaTucker),
                         format_name);

TEST(LoraStack, TwoLorasAddUpAndTheBaseStaysUntouched) {
    WEFT_REQUIRE_PATH(kComponents);
    TempDir tmp;
    const Tensor base_before = unet_out(*base_model());
    auto [path1, patches1] = write_lora(tmp.path, Format::KohyaDiffusers, 200);
    auto [path2, patches2] = write_lora(tmp.path, Format::LoHa, 300);
    const LoraFile f1 = read_lora_file(path1.string()), f2 = read_lora_file(path2.string());
    PatchedModels a = apply_lora(base_model(), base_clip(), f1, 0.5f, 0.5f);
    PatchedModels b = apply_lora(a.model, a.clip, f2, 0.25f, 0.25f);
    const Outputs want = reference(tmp.path, {{&patches1, 0.5f}, {&patches2, 0.25f}});
    EXPECT_LT(rel_error(unet_out(*b.model), want.unet), 1e-4);
    EXPECT_LT(rel_error(clip_out(*b.clip), want.clip), 1e-4);
    // Neither the base nor the first LoRA's model changed when the second was stacked on top.
    EXPECT_EQ(rel_error(unet_out(*base_model()), base_before), 0.0);
    const Outputs first = reference(tmp.path, {{&patches1, 0.5f}});
    EXPECT_LT(rel_error(unet_out(*a.model), first.unet), 1e-4);
}

TEST(LoraStrength, ZeroKeepsTheInputAndNegativeSubtracts) {
    WEFT_REQUIRE_PATH(kComponents);
    TempDir tmp;
    auto [path, patches] = write_lora(tmp.path, Format::KohyaLdm, 400);
    const LoraFile f = read_lora_file(path.string());
    PatchedModels zero = apply_lora(base_model(), base_clip(), f, 0.0f, 1.0f);
    EXPECT_EQ(zero.model, base_model());  // shared, not copied
    EXPECT_NE(zero.clip, base_clip());
    PatchedModels plus = apply_lora(base_model(), nullptr, f, 1.0f, 0.0f);
    PatchedModels minus = apply_lora(plus.model, nullptr, f, -1.0f, 0.0f);
    EXPECT_LT(rel_error(unet_out(*minus.model), unet_out(*base_model())), 1e-5);
    EXPECT_GT(rel_error(unet_out(*plus.model), unet_out(*base_model())), 1e-3);
}

TEST(LoraErrors, NothingMatchingNamesTheFile) {
    WEFT_REQUIRE_PATH(kComponents);
    TempDir tmp;
    const fs::path path = tmp.path / "sdxl_style.safetensors";
    write_safetensors(path.string(), {{"lora_unet_input_blocks_4_1_transformer_blocks_5_attn1_to_q.lora_down.weight", randn({4, 640}, 1, 1)},
                                      {"lora_unet_input_blocks_4_1_transformer_blocks_5_attn1_to_q.lora_up.weight", randn({640, 4}, 1, 2)}});
    try {
        apply_lora(base_model(), base_clip(), read_lora_file(path.string()), 1.0f, 1.0f);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("sdxl_style.safetensors"), std::string::npos) << e.what();
        EXPECT_EQ(e.path(), path.string());
    }
    // Not a LoRA at all.
    const fs::path plain = tmp.path / "plain.safetensors";
    write_safetensors(plain.string(), {{"weight", randn({2, 2}, 1, 3)}});
    EXPECT_THROW(read_lora_file(plain.string()), Error);
}

TEST(LoraErrors, PartialMatchIsReportedByName) {
    WEFT_REQUIRE_PATH(kComponents);
    TempDir tmp;
    auto [path, patches] = write_lora(tmp.path, Format::KohyaLdm, 500);
    // Add a module for a layer this UNet lacks and one whose shape does not fit its layer.
    const ModelFile lora = open_model_file(path.string());
    std::vector<std::pair<std::string, Tensor>> tensors(lora.tensors.begin(), lora.tensors.end());
    tensors.emplace_back("lora_unet_input_blocks_7_1_proj_in.lora_down.weight", randn({4, 64}, 1, 4));
    tensors.emplace_back("lora_unet_input_blocks_7_1_proj_in.lora_up.weight", randn({64, 4}, 1, 5));
    tensors.emplace_back("lora_unet_time_embed_0.lora_down.weight", randn({4, 99}, 1, 6));
    tensors.emplace_back("lora_unet_time_embed_0.lora_up.weight", randn({128, 4}, 1, 7));
    const fs::path mixed = tmp.path / "mixed.safetensors";
    write_safetensors(mixed.string(), tensors);
    PatchedModels p = apply_lora(base_model(), base_clip(), read_lora_file(mixed.string()), 1.0f, 1.0f);
    EXPECT_EQ(p.report.modules, kTargets.size() + 2);
    EXPECT_EQ(p.report.matched(), kTargets.size());
    ASSERT_EQ(p.report.unmatched.size(), 2u);
    const std::string msg = p.report.message();
    EXPECT_NE(msg.find("mixed.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find("lora_unet_input_blocks_7_1_proj_in"), std::string::npos) << msg;
    EXPECT_NE(msg.find("lora_unet_time_embed_0"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(kTargets.size()) + " of " + std::to_string(kTargets.size() + 2)), std::string::npos) << msg;
}

TEST(LoraKeys, DiffusersNamesOfTheSd15Layout) {
    // SD1.5: 2 res blocks per level, input block 3 is the first downsampler.
    EXPECT_EQ(unet_key_to_diffusers("input_blocks.4.1.proj_in", 2), "down_blocks.1.attentions.0.proj_in");
    EXPECT_EQ(unet_key_to_diffusers("input_blocks.4.0.skip_connection", 2), "down_blocks.1.resnets.0.conv_shortcut");
    EXPECT_EQ(unet_key_to_diffusers("input_blocks.6.0.op", 2), "down_blocks.1.downsamplers.0.conv");
    EXPECT_EQ(unet_key_to_diffusers("middle_block.2.emb_layers.1", 2), "mid_block.resnets.1.time_emb_proj");
    EXPECT_EQ(unet_key_to_diffusers("output_blocks.5.2.conv", 2), "up_blocks.1.upsamplers.0.conv");
    EXPECT_EQ(unet_key_to_diffusers("output_blocks.2.1.conv", 2), "up_blocks.0.upsamplers.0.conv");
    EXPECT_EQ(unet_key_to_diffusers("output_blocks.11.1.transformer_blocks.0.ff.net.2", 2), "up_blocks.3.attentions.2.transformer_blocks.0.ff.net.2");
    EXPECT_EQ(unet_key_to_diffusers("time_embed.2", 2), "time_embedding.linear_2");
    EXPECT_EQ(unet_res_blocks({"input_blocks.0.0", "input_blocks.1.0.in_layers.2", "input_blocks.3.0.op", "input_blocks.6.0.op"}), 2);
    const auto names = unet_lora_names({"input_blocks.4.1.transformer_blocks.0.attn1.to_out.0", "input_blocks.3.0.op"});
    EXPECT_EQ(names.at("unet.down_blocks.1.attentions.0.transformer_blocks.0.attn1.processor.to_out"), "input_blocks.4.1.transformer_blocks.0.attn1.to_out.0");
    EXPECT_EQ(names.at("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_out_0"), "input_blocks.4.1.transformer_blocks.0.attn1.to_out.0");
}

}  // namespace
}  // namespace weft::lora
