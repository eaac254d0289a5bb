// ControlNet nodes end to end: CheckpointLoaderSimple + ControlNetLoader + ControlNetApplyAdvanced +
// KSampler on the tiny SD1.5 checkpoint (tests/support/sd15_tiny.h) with tiny random ControlNets
// written to match its UNet (320 channels, levels 1 and 2, attention everywhere, 768-wide text).
#include "families/sd1/applied_control.h"
#include "node_runner.h"
#include "media/png_io.h"
#include "sd15_tiny.h"
#include "tensor/model_file.h"
#include "tensor/ops/ops.h"
#include "tiny_control_models.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace weft::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

TinyUNetSpec tiny_sd15_spec() {
    TinyUNetSpec s;
    s.model_channels = 320;
    s.mult = {1, 2};
    s.res_blocks = 1;
    s.attention = {true, true};
    s.context_dim = 768;
    return s;
}

double max_diff(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    if (a.shape() != b.shape()) return INFINITY;
    const Tensor x = a.to(DType::F32).contiguous(), y = b.to(DType::F32).contiguous();
    double m = 0;
    for (int64_t i = 0; i < x.numel(); ++i) m = std::max(m, std::abs(double(x.data<float>()[i]) - y.data<float>()[i]));
    return m;
}

// One session for the suite: the checkpoint, the text encodings and identical runs (the uncontrolled
// baseline) are loaded or computed once and then served from the cache.
class ControlNetNodes : public ::testing::Test {
protected:
    static inline std::unique_ptr<NodeRunner> shared;
    static inline fs::path ckpt;
    static inline std::string skip_reason;
    NodeRunner& nr = *runner();

    static NodeRunner* runner() {
        if (!shared) shared = std::make_unique<NodeRunner>();
        return shared.get();
    }

    static void SetUpTestSuite() {
        ckpt = tiny_sd15_checkpoint(skip_reason);
        const fs::path vocab = fs::path(WEFT_SHARED_DIR) / "tokenizers" / "clip";
        if (ckpt.empty()) return;
        if (!fs::exists(vocab / "vocab.json")) {
            skip_reason = "CLIP tokenizer absent: " + vocab.string();
            return;
        }
        NodeRunner& nr = *runner();
        const fs::path models = nr.folders().models.front();
        fs::create_directories(models / "tokenizers");
        fs::create_directories(models / "controlnet");
        // The folder is linked, not the file: listed names are relative to the resolved folder.
        fs::create_directory_symlink(ckpt.parent_path(), models / "checkpoints");
        fs::create_directory_symlink(vocab, models / "tokenizers" / "clip");
        for (auto [name, seed] : {std::pair{"cn_a.safetensors", 1001}, std::pair{"cn_b.safetensors", 1002}}) {
            TinyWeights w(seed, DType::F16);
            add_controlnet(w, "control_model.", tiny_sd15_spec());
            w.write(models / "controlnet" / name);
        }
        // A 48 x 80 hint (another aspect than the 64 x 64 picture: centre-cropped, resized).
        std::vector<uint8_t> px(48 * 80 * 3);
        for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 37 + (i / 240) * 11) % 256);
        fs::create_directories(nr.folders().input);
        media::write_png(nr.folders().input / "hint.png", px, 80, 48, 3);
    }
    static void TearDownTestSuite() { shared.reset(); }

    void SetUp() override {
        if (ckpt.empty() || !skip_reason.empty()) GTEST_SKIP() << skip_reason;
    }

    fs::path models() const { return nr.folders().models.front(); }

    void write_controlnet(const std::string& name, uint64_t seed) {
        TinyWeights w(seed, DType::F16);
        add_controlnet(w, "control_model.", tiny_sd15_spec());
        w.write(models() / "controlnet" / name);
    }

    struct Control {
        std::string file;
        double strength = 1.0, start = 0.0, end = 1.0;
        bool old_node = false;  // ControlNetApply (positive only)
    };

    /// ckpt -> CLIPTextEncode x2 -> [ControlNetApplyAdvanced]* -> KSampler -> PreviewAny.
    /// `feed_positive` / `feed_negative`: whether KSampler takes the controlled lists or the plain ones.
    RunResult run(const std::vector<Control>& controls, bool expect_ok = true, const std::string& loader = "ControlNetLoader",
                  bool feed_positive = true, bool feed_negative = true) {
        json wf = {
            {"1", {{"class_type", "CheckpointLoaderSimple"}, {"inputs", {{"ckpt_name", ckpt.filename().string()}}}}},
            {"3", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", "a house by a lake"}, {"clip", {"1", 1}}}}}},
            {"4", {{"class_type", "CLIPTextEncode"}, {"inputs", {{"text", "blurry"}, {"clip", {"1", 1}}}}}},
            {"5", {{"class_type", "EmptyLatentImage"}, {"inputs", {{"width", 64}, {"height", 64}, {"batch_size", 1}}}}},
            {"9", {{"class_type", "LoadImage"}, {"inputs", {{"image", "hint.png"}}}}},
            {"6", {{"class_type", "KSampler"},
                   {"inputs", {{"seed", 42}, {"steps", 3}, {"cfg", 6.0}, {"sampler_name", "euler"}, {"scheduler", "normal"}, {"denoise", 1.0},
                               {"model", {"1", 0}}, {"latent_image", {"5", 0}}}}}},
            {"8", {{"class_type", "PreviewAny"}, {"inputs", {{"source", {"6", 0}}}}}},
        };
        json positive = {"3", 0}, negative = {"4", 0};
        int id = 20;
        for (const Control& c : controls) {
            const std::string load = std::to_string(id++), apply = std::to_string(id++);
            json load_inputs = {{"control_net_name", c.file}};
            if (loader == "DiffControlNetLoader") load_inputs["model"] = {"1", 0};
            wf[load] = {{"class_type", loader}, {"inputs", load_inputs}};
            if (c.old_node) {
                wf[apply] = {{"class_type", "ControlNetApply"},
                             {"inputs", {{"conditioning", positive}, {"control_net", {load, 0}}, {"image", {"9", 0}}, {"strength", c.strength}}}};
                positive = {apply, 0};
            } else {
                wf[apply] = {{"class_type", "ControlNetApplyAdvanced"},
                             {"inputs", {{"positive", positive}, {"negative", negative}, {"control_net", {load, 0}}, {"image", {"9", 0}},
                                         {"strength", c.strength}, {"start_percent", c.start}, {"end_percent", c.end}}}};
                positive = {apply, 0};
                negative = {apply, 1};
            }
        }
        wf["6"]["inputs"]["positive"] = feed_positive ? positive : json{"3", 0};
        wf["6"]["inputs"]["negative"] = feed_negative ? negative : json{"4", 0};
        std::vector<std::string> capture = {"6"};
        if (!controls.empty()) capture.push_back("21");
        return nr.run(Workflow::parse(wf.dump()), capture, expect_ok);
    }

    Tensor latent(const std::vector<Control>& controls) {
        RunResult r = run(controls);
        if (!r.ok()) return Tensor::zeros({1});
        return r.output("6").as_latent().samples;
    }
};

TEST_F(ControlNetNodes, StrengthZeroEqualsNoControlAndOtherStrengthsSteer) {
    const Tensor none = latent({});
    const Tensor zero = latent({{.file = "cn_a.safetensors", .strength = 0.0}});
    EXPECT_EQ(max_diff(zero, none), 0.0);
    const Tensor one = latent({{.file = "cn_a.safetensors", .strength = 1.0}});
    const Tensor half = latent({{.file = "cn_a.safetensors", .strength = 0.5}});
    EXPECT_GT(max_diff(one, none), 1e-3);
    EXPECT_GT(max_diff(half, none), 1e-3);
    EXPECT_GT(max_diff(one, half), 1e-3);
}

TEST_F(ControlNetNodes, StartAndEndPercentWindows) {
    const Tensor none = latent({});
    const Tensor full = latent({{.file = "cn_a.safetensors"}});
    // 3 "normal" steps evaluate at sigma(999), sigma(499.5), sigma(0) = 0.029; a window between the
    // last two (timesteps 30..20, sigma ~0.09..0.075) is never active.
    EXPECT_EQ(max_diff(latent({{.file = "cn_a.safetensors", .start = 0.97, .end = 0.98}}), none), 0.0);
    // Only the first step (sigma_max) lies in [0, 0.3]: a result between the two.
    const Tensor first = latent({{.file = "cn_a.safetensors", .start = 0.0, .end = 0.3}});
    EXPECT_GT(max_diff(first, none), 1e-4);
    EXPECT_GT(max_diff(first, full), 1e-4);
    // The complement window: together they make all three evaluations controlled, each alone not.
    const Tensor rest = latent({{.file = "cn_a.safetensors", .start = 0.3, .end = 1.0}});
    EXPECT_GT(max_diff(rest, full), 1e-4);
    EXPECT_GT(max_diff(rest, none), 1e-4);
}

TEST_F(ControlNetNodes, ChainedControlNetsAddTheirResiduals) {
    // 0.5 r + 0.5 r is exactly r: the same ControlNet twice at half strength equals it once.
    const Tensor once = latent({{.file = "cn_a.safetensors", .strength = 1.0}});
    const Tensor twice = latent({{.file = "cn_a.safetensors", .strength = 0.5}, {.file = "cn_a.safetensors", .strength = 0.5}});
    EXPECT_EQ(max_diff(twice, once), 0.0);
    const Tensor a = once, b = latent({{.file = "cn_b.safetensors"}});
    const Tensor ab = latent({{.file = "cn_a.safetensors"}, {.file = "cn_b.safetensors"}});
    EXPECT_GT(max_diff(ab, a), 1e-3);
    EXPECT_GT(max_diff(ab, b), 1e-3);
    // The chain's second ControlNet only while its window lasts: a window no step reaches leaves A.
    EXPECT_EQ(max_diff(latent({{.file = "cn_a.safetensors"}, {.file = "cn_b.safetensors", .start = 0.97, .end = 0.98}}), a), 0.0);
}

TEST_F(ControlNetNodes, AdvancedControlsPositiveAndNegative) {
    RunResult r = run({{.file = "cn_a.safetensors"}});
    ASSERT_TRUE(r.ok());
    // Both outputs carry a hook; entries that had no ControlNet share one (one batch in ComfyUI).
    const Conditioning& pos = r.output("21", 0).as_conditioning();
    const Conditioning& neg = r.output("21", 1).as_conditioning();
    ASSERT_EQ(pos.size(), 1u);
    ASSERT_EQ(neg.size(), 1u);
    auto hook = [](const ConditioningItem& c) { return c.extras->at("control").as_object<models::ControlHook>(); };
    EXPECT_EQ(hook(pos[0]).get(), hook(neg[0]).get());
    const auto* applied = dynamic_cast<const models::AppliedControl*>(hook(pos[0]).get());
    ASSERT_NE(applied, nullptr);
    EXPECT_EQ(applied->settings().strength, 1.0);
    EXPECT_EQ(applied->model().path, (models() / "controlnet" / "cn_a.safetensors").string());
    EXPECT_FALSE(pos[0].extras->at("control_apply_to_uncond").as_bool());
    // Each side's control counts: feeding KSampler one controlled list and one plain list gives a
    // third result, different from both and from no control.
    const Tensor both = r.output("6").as_latent().samples;
    const Tensor none = latent({});
    auto partial = [&](bool p, bool n) {
        RunResult rr = run({{.file = "cn_a.safetensors"}}, true, "ControlNetLoader", p, n);
        return rr.ok() ? rr.output("6").as_latent().samples : Tensor::zeros({1});
    };
    const Tensor positive_only = partial(true, false), negative_only = partial(false, true);
    EXPECT_GT(max_diff(positive_only, none), 1e-3);
    EXPECT_GT(max_diff(negative_only, none), 1e-3);
    EXPECT_GT(max_diff(positive_only, both), 1e-4);
    EXPECT_GT(max_diff(negative_only, both), 1e-4);
}

TEST_F(ControlNetNodes, OldApplyNodeControlsTheConditioningItGets) {
    RunResult r = run({{.file = "cn_a.safetensors", .strength = 0.8, .old_node = true}});
    ASSERT_TRUE(r.ok());
    const Conditioning& c = r.output("21", 0).as_conditioning();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_TRUE(c[0].extras->at("control_apply_to_uncond").as_bool());
    const auto hook = c[0].extras->at("control").as_object<models::ControlHook>();
    const auto* applied = dynamic_cast<const models::AppliedControl*>(hook.get());
    ASSERT_NE(applied, nullptr);
    EXPECT_EQ(applied->settings().strength, 0.8);
    EXPECT_GT(max_diff(r.output("6").as_latent().samples, latent({})), 1e-3);
    EXPECT_EQ(max_diff(latent({{.file = "cn_a.safetensors", .strength = 0.0, .old_node = true}}), latent({})), 0.0);
}

TEST_F(ControlNetNodes, DiffControlNetAddsTheModelWeights) {
    // diff = ControlNet - UNet on the shared keys (F32, exact for these F16 values), with a `difference` key.
    const ModelFile whole = open_model_file((models() / "controlnet" / "cn_a.safetensors").string());
    const ModelFile base = open_model_file(ckpt.string());
    TinyWeights diff(0);
    for (const auto& [name, t] : whole.tensors) {
        const std::string key = "model.diffusion_model." + name.substr(std::string("control_model.").size());
        diff.add(name, base.contains(key) ? ops::sub(t.to(DType::F32), base.at(key).to(DType::F32)) : t.to(DType::F32));
    }
    diff.add("difference", Tensor::zeros({1}));
    diff.write(models() / "controlnet" / "diff_a.safetensors");
    const Tensor want = latent({{.file = "cn_a.safetensors"}});
    RunResult r = run({{.file = "diff_a.safetensors"}}, true, "DiffControlNetLoader");
    ASSERT_TRUE(r.ok());
    EXPECT_LT(max_diff(r.output("6").as_latent().samples, want), 1e-4);
}

TEST_F(ControlNetNodes, ControlNetOfAnotherFamilyFailsNamingTheFile) {
    TinyWeights w(5);
    TinyUNetSpec s = tiny_sd15_spec();
    s.model_channels = 32;
    add_controlnet(w, "control_model.", s);
    w.linear("control_model.label_emb.0.0", 16, 128);
    w.write(models() / "controlnet" / "xl_canny.safetensors");
    RunResult r = run({{.file = "xl_canny.safetensors"}}, false);
    ASSERT_FALSE(r.ok());
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->node_id, "20");
    EXPECT_NE(r.error->exception_message.find("xl_canny.safetensors"), std::string::npos) << r.error->exception_message;
    EXPECT_NE(r.error->exception_message.find("SDXL"), std::string::npos) << r.error->exception_message;
}

}  // namespace
}  // namespace weft::testing
