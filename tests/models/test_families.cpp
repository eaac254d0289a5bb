// The model-family seam: detection over the registry, refusal of unknown families naming the file
// and what its keys show, and the SD1 UNet weight table (layout, config read back, shape checks).
#include "families/family.h"
#include "families/sd1/demo_model.h"
#include "families/sd1/unet_weights.h"
#include "tensor/model_file.h"
#include "tensor/safetensors.h"

#include "process_runner.h"
#include "tiny_control_models.h"

#include <weft/error.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace weft::models {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TinyUNetSpec;
using testing::TinyWeights;

const char* kUnet = "model.diffusion_model.";

/// The message of the weft::Error `f` throws (fails the test when it throws none).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a weft::Error";
    return {};
}

void expect_contains(const std::string& text, const std::string& part) { EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text; }

fs::path write_tiny_unet(const TempDir& dir, const std::string& name, const TinyUNetSpec& spec) {
    TinyWeights w(3);
    add_unet(w, kUnet, spec);
    const fs::path path = dir / name;
    w.write(path);
    return path;
}

TEST(Families, Sd1IsRegisteredWithItsLatentFormat) {
    ASSERT_FALSE(registered_families().empty());
    const Family* sd1 = find_family("sd1");
    ASSERT_NE(sd1, nullptr);
    EXPECT_FLOAT_EQ(sd1->latent.scale_factor, 0.18215f);
    EXPECT_EQ(sd1->latent.channels, 4);
    EXPECT_EQ(sd1->latent.spatial_downscale, 8);
    ASSERT_EQ(sd1->latent.rgb_factors.size(), 4u);
    EXPECT_FLOAT_EQ(sd1->latent.rgb_factors[3][2], -0.7177f);
    EXPECT_EQ(sd1->sampling.prediction, Prediction::Eps);
    EXPECT_EQ(family_for_clip_type("stable_diffusion"), sd1);
    EXPECT_EQ(family_for_clip_type("wan"), nullptr);
    EXPECT_EQ(find_family("flux"), nullptr);
}

TEST(Families, DemoCheckpointIsSd1AndMatchesItsTable) {
    TempDir dir("weft-families");
    ensure_demo_model(dir.path());
    auto file = std::make_shared<const ModelFile>(open_model_file((dir / "checkpoints" / kDemoCheckpointName).string()));
    EXPECT_STREQ(detect_family(*file).name, "sd1");
    const Detection d = find_family("sd1")->detect(*file);
    expect_contains(d.saw, "64 channels, context 128");
    EXPECT_STREQ(detect_vae_family(*file).name, "sd1");

    const nets::WeightTable table(file, kUnet);
    const nets::Sd1UNetConfig c = nets::read_unet_config(table);
    EXPECT_EQ(c.model_channels, 64);
    EXPECT_EQ(c.mult, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(c.attention, (std::vector<bool>{false, true}));
    EXPECT_EQ(c.res_blocks, 1);
    EXPECT_EQ(c.context_dim, 128);
    // The table names every UNet tensor of the file, and nothing else.
    const nets::WeightLayout layout = nets::unet_weights(c);
    const size_t in_file = std::count_if(file->tensors.begin(), file->tensors.end(), [](const auto& kv) { return kv.first.starts_with(kUnet); });
    EXPECT_EQ(layout.specs().size(), in_file);
    layout.check(table);

    const Checkpoint ck = load_checkpoint(file->path, nullptr);
    EXPECT_EQ(ck.model->unet.model_channels(), 64);
    EXPECT_EQ(ck.model->unet.context_dim(), 128);
}

TEST(Families, TinyUNetConfigReadsBackFromItsKeys) {
    TempDir dir("weft-families");
    TinyUNetSpec spec;
    spec.mult = {1, 2, 2};
    spec.res_blocks = 2;
    spec.attention = {false, true, false};
    spec.middle_attention = false;
    const fs::path path = write_tiny_unet(dir, "unet.safetensors", spec);
    auto file = std::make_shared<const ModelFile>(open_model_file(path.string()));
    EXPECT_STREQ(detect_family(*file).name, "sd1");
    const nets::Sd1UNetConfig c = nets::read_unet_config(nets::WeightTable(file, kUnet));
    EXPECT_EQ(c.model_channels, spec.model_channels);
    EXPECT_EQ(c.mult, spec.mult);
    EXPECT_EQ(c.res_blocks, spec.res_blocks);
    EXPECT_EQ(c.attention, spec.attention);
    EXPECT_FALSE(c.middle_attention);
    EXPECT_EQ(c.context_dim, spec.context_dim);
    auto model = load_diffusion_model(path.string());  // the UNETLoader path
    EXPECT_EQ(model->unet.input_block_count(), 1u + 2 + 1 + 2 + 1 + 2);
}

TEST(Families, Sd15TableHasTheSd15Layout) {
    const nets::WeightLayout l = nets::unet_weights(nets::Sd1UNetConfig{});
    EXPECT_EQ(l.specs().size(), 686u);  // the tensors under model.diffusion_model. in an SD1.5 checkpoint
    auto shape_of = [&](const std::string& name) -> Shape {
        for (const nets::WeightSpec& s : l.specs())
            if (s.name == name) return s.shape;
        ADD_FAILURE() << name << " is not in the table";
        return {};
    };
    EXPECT_EQ(shape_of("input_blocks.0.0.weight"), (Shape{320, 4, 3, 3}));
    EXPECT_EQ(shape_of("input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight"), (Shape{640, 768}));
    EXPECT_EQ(shape_of("input_blocks.9.0.op.weight"), (Shape{1280, 1280, 3, 3}));
    EXPECT_EQ(shape_of("output_blocks.2.1.conv.weight"), (Shape{1280, 1280, 3, 3}));
    EXPECT_EQ(shape_of("output_blocks.5.2.conv.weight"), (Shape{1280, 1280, 3, 3}));
    EXPECT_EQ(shape_of("output_blocks.11.0.skip_connection.weight"), (Shape{320, 640, 1, 1}));
    EXPECT_EQ(shape_of("middle_block.1.transformer_blocks.0.ff.net.0.proj.weight"), (Shape{10240, 1280}));
    EXPECT_EQ(shape_of("out.2.weight"), (Shape{4, 320, 3, 3}));
}

TEST(Families, WrongShapeIsRefusedNamingKeyAndShapes) {
    TempDir dir("weft-families");
    TinyUNetSpec spec;
    TinyWeights w(3);
    add_unet(w, kUnet, spec);
    const std::string key = std::string(kUnet) + "middle_block.1.transformer_blocks.0.attn2.to_v.weight";
    for (auto& [name, t] : w.tensors)
        if (name == key) t = Tensor::zeros({64, 25});
    w.write(dir / "bad.safetensors");
    const std::string msg = error_of([&] { load_diffusion_model((dir / "bad.safetensors").string()); });
    expect_contains(msg, key);
    expect_contains(msg, "bad.safetensors");
    expect_contains(msg, shape_string({64, 25}));
    expect_contains(msg, shape_string({64, 24}));
}

TEST(Families, MissingTableKeyIsRefusedNamingIt) {
    TempDir dir("weft-families");
    TinyWeights w(3);
    add_unet(w, kUnet, TinyUNetSpec{});
    const std::string key = std::string(kUnet) + "output_blocks.1.0.emb_layers.1.bias";
    std::erase_if(w.tensors, [&](const auto& kv) { return kv.first == key; });
    w.write(dir / "holey.safetensors");
    const std::string msg = error_of([&] { load_diffusion_model((dir / "holey.safetensors").string()); });
    expect_contains(msg, key);
    expect_contains(msg, "missing");
}

TEST(Families, FluxLikeCheckpointIsRefusedNamingFileAndKeys) {
    TempDir dir("weft-families");
    const fs::path path = dir / "flux_like.safetensors";
    write_safetensors(path.string(), {{"model.diffusion_model.double_blocks.0.img_attn.qkv.weight", Tensor::zeros({12, 4})},
                                      {"model.diffusion_model.img_in.weight", Tensor::zeros({4, 8})},
                                      {"vae.decoder.conv_in.weight", Tensor::zeros({8, 16, 3, 3})}});
    const std::string msg = error_of([&] { load_checkpoint(path.string(), nullptr); });
    expect_contains(msg, "flux_like.safetensors");
    expect_contains(msg, "model.diffusion_model.* (2)");
    expect_contains(msg, "'double_blocks.' (Flux-like)");
    expect_contains(msg, "no registered model family matches (known: sd1)");
    // A 16-channel VAE is no SD1 latent format either.
    const std::string vae = error_of([&] { load_autoencoder(path.string()); });
    expect_contains(vae, "flux_like.safetensors");
    expect_contains(vae, "no registered VAE latent format matches");
}

TEST(Families, WanLikeDiffusionModelIsRefusedNamingFileAndKeys) {
    TempDir dir("weft-families");
    const fs::path path = dir / "wan_like.safetensors";
    write_safetensors(path.string(), {{"head.modulation", Tensor::zeros({1, 2, 256})},
                                      {"patch_embedding.weight", Tensor::zeros({256, 16, 1, 2, 2})},
                                      {"blocks.0.ffn.0.weight", Tensor::zeros({512, 256})}});
    const std::string msg = error_of([&] { load_diffusion_model(path.string()); });
    expect_contains(msg, "wan_like.safetensors");
    expect_contains(msg, "'head.modulation' (Wan-like)");
    expect_contains(msg, "sd1: no UNet input convolution");
    expect_contains(msg, "(known: sd1)");
}

TEST(Families, Sd2LikeUNetIsNotSd1) {
    TempDir dir("weft-families");
    TinyWeights w(3);
    add_unet(w, kUnet, TinyUNetSpec{});
    // SD2.x's transformers project in and out with linear layers.
    for (auto& [name, t] : w.tensors)
        if (name.ends_with(".proj_in.weight")) t = Tensor::zeros({t.size(0), t.size(1)});
    w.write(dir / "sd2_like.safetensors");
    const std::string msg = error_of([&] { load_checkpoint((dir / "sd2_like.safetensors").string(), nullptr); });
    expect_contains(msg, "sd1: a UNet under 'model.diffusion_model.' with linear proj_in");
}

}  // namespace
}  // namespace weft::models
