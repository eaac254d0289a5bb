// Real-ESRGAN's compact SRVGGNet against a plain-loop reference, on tiny random models written here.
#include "families/upscale/upscale_model.h"
#include "process_runner.h"  // TempDir
#include "tiny_upscalers.h"
#include "upscale_reference.h"

#include <weft/error.h>

#include <gtest/gtest.h>

using namespace weft;
using namespace weft::testing;
using namespace weft::testing::ref_up;

namespace {

/// conv, PReLU, convs × (conv, PReLU), conv to C·s² channels, pixel shuffle, + nearest(x).
Img reference_srvgg(const TensorMap& m, const SrvggSpec& s, const Img& x) {
    Img h = prelu(conv(x, m, "body.0"), m.at("body.1.weight"));
    for (int64_t i = 1; i <= s.convs; ++i)
        h = prelu(conv(h, m, "body." + std::to_string(2 * i)), m.at("body." + std::to_string(2 * i + 1) + ".weight"));
    h = shuffle(conv(h, m, "body." + std::to_string(2 * s.convs + 2)), s.scale);
    return axpy(nearest(x, s.scale), 1.0, h);
}

}  // namespace

TEST(Srvgg, EveryScaleMatchesReference) {
    for (int64_t scale : {1, 2, 3, 4}) {
        SrvggSpec s;
        s.scale = scale;
        s.convs = scale == 3 ? 1 : 2;
        TempDir dir;
        const TensorMap m = tiny_srvgg(s, 60 + static_cast<uint32_t>(scale));
        const auto path = dir.path() / "compact.safetensors";
        write_model(path, m);
        const auto model = upscale::load_upscale_model(path.string());
        ASSERT_EQ(model->architecture, "RealESRGAN Compact");
        const auto& cfg = std::get<nets::Srvgg>(model->net).config();
        EXPECT_EQ(cfg.convs, s.convs);
        EXPECT_EQ(cfg.features, s.feat);
        EXPECT_EQ(model->scale(), scale);
        EXPECT_EQ(model->out_channels(), 3);

        const Tensor x = random_normal({1, 3, 7, 6}, 0.5f, 70 + static_cast<uint32_t>(scale));
        const Tensor y = model->forward(x);
        ASSERT_EQ(y.shape(), (Shape{1, 3, 7 * scale, 6 * scale}));
        EXPECT_LT(max_rel_diff(from_tensor(y), reference_srvgg(m, s, from_tensor(x))), 2e-5) << "x" << scale;
    }
}

TEST(Srvgg, BodyWithoutTheLastConvIsRejectedNamingTheFile) {
    SrvggSpec s;
    TensorMap m = tiny_srvgg(s, 80);
    const std::string last = "body." + std::to_string(2 * s.convs + 2);
    m.erase(last + ".weight");
    m.erase(last + ".bias");
    TempDir dir;
    const auto path = dir.path() / "cut.safetensors";
    write_model(path, m);
    try {
        upscale::load_upscale_model(path.string());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cut.safetensors"), std::string::npos) << e.what();
    }
}
