// The networks against ComfyUI's own classes run on tiny random weights
// (../shared/goldens/components_tiny): UNet forward, VAE decode/encode, CLIP text hidden states.
#include "families/sd1/clip_text.h"
#include "families/sd1/unet.h"
#include "families/sd1/vae.h"
#include "npy.h"

#include <weft/error.h>
#include "tensor/model_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace weft::nets {
namespace {

const std::filesystem::path kDir = std::filesystem::path(WEFT_SHARED_DIR) / "goldens" / "components_tiny";

std::shared_ptr<const ModelFile> tiny_file() {
    static std::shared_ptr<const ModelFile> file = [] {
        return std::make_shared<const ModelFile>(open_model_file((kDir / "tiny_sd15_components.safetensors").string()));
    }();
    return file;
}

#define SKIP_WITHOUT_GOLDENS()                                                                              \
    if (!std::filesystem::exists(kDir / "tiny_sd15_components.safetensors"))                                \
    GTEST_SKIP() << "components goldens absent (" << kDir << "): the shared reference folder is not here"

/// max |a - b| / max |b|: the relative error of the whole tensor.
double rel_error(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(a.shape(), b.shape());
    Tensor ac = a.contiguous(), bc = b.contiguous();
    double diff = 0, ref = 0;
    for (int64_t i = 0; i < bc.numel(); ++i) {
        diff = std::max(diff, std::abs(double(ac.data<float>()[i]) - bc.data<float>()[i]));
        ref = std::max(ref, std::abs(double(bc.data<float>()[i])));
    }
    return diff / std::max(ref, 1e-12);
}

Tensor nchw_to_nhwc(const Tensor& x) { return x.permute({0, 2, 3, 1}).contiguous(); }

TEST(TinyNets, UNetMatchesComfyUI) {
    SKIP_WITHOUT_GOLDENS();
    UNet unet = UNet::load(WeightTable(tiny_file(), "model.diffusion_model."), {.heads = 2});
    EXPECT_EQ(unet.model_channels(), 32);
    EXPECT_EQ(unet.context_dim(), 32);
    Tensor eps = unet.forward(testing::load_npy(kDir / "unet/x.npy"), testing::load_npy(kDir / "unet/timesteps.npy"),
                              testing::load_npy(kDir / "unet/context.npy"));
    EXPECT_LT(rel_error(eps, testing::load_npy(kDir / "unet/output.npy")), 1e-4);
}

TEST(TinyNets, VaeDecodeMatchesComfyUI) {
    SKIP_WITHOUT_GOLDENS();
    Vae vae = Vae::load(WeightTable(tiny_file(), "first_stage_model."));
    EXPECT_EQ(vae.downscale(), 2);
    Tensor raw = vae.decode(testing::load_npy(kDir / "vae/decode_latent.npy"));
    EXPECT_LT(rel_error(raw, testing::load_npy(kDir / "vae/decode_raw.npy")), 1e-4);
}

TEST(TinyNets, VaeEncodeMatchesComfyUI) {
    SKIP_WITHOUT_GOLDENS();
    Vae vae = Vae::load(WeightTable(tiny_file(), "first_stage_model."));
    Tensor image = testing::load_npy(kDir / "vae/encode_image.npy");  // [1,16,16,3] in 0..1
    Tensor x = ops::sub(ops::mul(image.permute({0, 3, 1, 2}).contiguous(), 2.0f), 1.0f);
    Tensor mean = vae.encode(x);
    EXPECT_LT(rel_error(mean, testing::load_npy(kDir / "vae/encode_mean.npy")), 1e-4);
}

TEST(TinyNets, ClipLastAndPenultimateMatchComfyUI) {
    SKIP_WITHOUT_GOLDENS();
    ClipText clip = ClipText::load(WeightTable(tiny_file(), "cond_stage_model.transformer.text_model."), {.heads = 2});
    Tensor ids_t = testing::load_npy(kDir / "clip/raw_ids.npy");
    std::vector<std::vector<int64_t>> ids(1);
    for (int64_t i = 0; i < ids_t.numel(); ++i) ids[0].push_back(static_cast<int64_t>(std::lround(ids_t.data<float>()[i])));
    EXPECT_LT(rel_error(clip.forward(ids, -1).hidden, testing::load_npy(kDir / "clip/raw_last.npy")), 1e-4);
    EXPECT_LT(rel_error(clip.forward(ids, -2).hidden, testing::load_npy(kDir / "clip/raw_penultimate.npy")), 1e-4);
    // Beyond the depth falls back to the last layer, as CLIPSetLastLayer does.
    EXPECT_LT(rel_error(clip.forward(ids, -24).hidden, testing::load_npy(kDir / "clip/raw_last.npy")), 1e-4);
}

TEST(TinyNets, WrongShapeNamesTensorAndFile) {
    SKIP_WITHOUT_GOLDENS();
    WeightTable t(tiny_file(), "model.diffusion_model.");
    try {
        t.get("input_blocks.0.0.weight", {320, 4, 3, 3});
        FAIL() << "expected a shape error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("input_blocks.0.0.weight"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("tiny_sd15_components.safetensors"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace weft::nets
