// ControlNet and T2I-adapter networks and their hook against plain references written here from the
// formulas (sd-models.md §2.2, §7): loops and the double-accumulating ops::ref functions over tiny
// random networks the tests write as safetensors.
#include "families/sd1/applied_control.h"
#include "families/sd1/control_hint.h"
#include "families/sd1/control_model.h"
#include "families/sd1/unet.h"
#include "tensor/model_file.h"
#include "tensor/ops/ops.h"
#include "tensor/ops/reference.h"
#include "tiny_control_models.h"

#include <weft/error.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

namespace weft::testing {
namespace {

namespace fs = std::filesystem;
using models::broadcast_control_hint;
using models::resize_control_hint;

// ---------------------------------------------------------------------------------------------
// plain reference

Tensor f32(const Tensor& t) { return t.to(DType::F32).contiguous(); }

Tensor random_tensor(const Shape& shape, uint64_t seed, float scale = 1.0f, float offset = 0.0f) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& x : v) x = offset + scale * u(rng);
    return Tensor::from_vector(shape, v);
}

struct Ref {
    const ModelFile& f;
    std::string p;

    Tensor w(const std::string& name) const { return f32(f.at(p + name)); }

    Tensor conv(const Tensor& x, const std::string& name, int64_t stride = 1) const {
        const Tensor weight = w(name + ".weight");
        const int64_t pad = weight.size(2) / 2;
        return ops::ref::conv2d(x, weight, w(name + ".bias"), {.stride = {stride, stride}, .padding = {pad, pad}});
    }
    Tensor linear(const Tensor& x, const std::string& name, bool bias = true) const {
        return ops::ref::linear(x, w(name + ".weight"), bias ? w(name + ".bias") : Tensor());
    }
    Tensor gn(const Tensor& x, const std::string& name, float eps) const {
        return ops::ref::group_norm(x, 32, w(name + ".weight"), w(name + ".bias"), eps);
    }
    Tensor ln(const Tensor& x, const std::string& name) const { return ops::ref::layer_norm(x, w(name + ".weight"), w(name + ".bias"), 1e-5f); }

    Tensor resblock(const Tensor& x, const Tensor& emb_silu, const std::string& b) const {
        Tensor h = conv(ops::ref::silu(gn(x, b + "in_layers.0", 1e-5f)), b + "in_layers.2");
        Tensor e = linear(emb_silu, b + "emb_layers.1");
        h = ops::ref::add(h, e.reshape({e.size(0), e.size(1), 1, 1}));
        h = conv(ops::ref::silu(gn(h, b + "out_layers.0", 1e-5f)), b + "out_layers.3");
        const Tensor skip = f.contains(p + b + "skip_connection.weight") ? conv(x, b + "skip_connection") : x;
        return ops::ref::add(skip, h);
    }

    /// softmax(q k^T / sqrt(d)) v per head, with plain loops.
    static Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads) {
        const int64_t b = q.size(0), tq = q.size(1), tk = k.size(1), c = q.size(2), d = c / heads;
        Tensor out = Tensor::zeros({b, tq, c});
        const float* Q = q.data<float>();
        const float* K = k.data<float>();
        const float* V = v.data<float>();
        std::vector<double> s(static_cast<size_t>(tk));
        for (int64_t n = 0; n < b; ++n)
            for (int64_t h = 0; h < heads; ++h)
                for (int64_t i = 0; i < tq; ++i) {
                    double mx = -1e300, sum = 0;
                    for (int64_t j = 0; j < tk; ++j) {
                        double dot = 0;
                        for (int64_t e = 0; e < d; ++e) dot += double(Q[(n * tq + i) * c + h * d + e]) * K[(n * tk + j) * c + h * d + e];
                        s[j] = dot / std::sqrt(double(d));
                        mx = std::max(mx, s[j]);
                    }
                    for (int64_t j = 0; j < tk; ++j) sum += (s[j] = std::exp(s[j] - mx));
                    for (int64_t e = 0; e < d; ++e) {
                        double acc = 0;
                        for (int64_t j = 0; j < tk; ++j) acc += s[j] / sum * V[(n * tk + j) * c + h * d + e];
                        out.data<float>()[(n * tq + i) * c + h * d + e] = static_cast<float>(acc);
                    }
                }
        return out;
    }

    Tensor attn(const Tensor& x, const Tensor& ctx, const std::string& a) const {
        Tensor o = attention(linear(x, a + "to_q", false), linear(ctx, a + "to_k", false), linear(ctx, a + "to_v", false), 8);
        return linear(o, a + "to_out.0");
    }

    Tensor transformer(const Tensor& x, const Tensor& context, const std::string& b) const {
        const int64_t n = x.size(0), c = x.size(1), hh = x.size(2), ww = x.size(3);
        Tensor h = conv(gn(x, b + "norm", 1e-6f), b + "proj_in");
        Tensor t = h.permute({0, 2, 3, 1}).contiguous().reshape({n, hh * ww, c});
        const std::string tb = b + "transformer_blocks.0.";
        t = ops::ref::add(t, attn(ln(t, tb + "norm1"), ln(t, tb + "norm1"), tb + "attn1."));
        t = ops::ref::add(t, attn(ln(t, tb + "norm2"), context, tb + "attn2."));
        t = ops::ref::add(t, linear(ops::ref::geglu(linear(ln(t, tb + "norm3"), tb + "ff.net.0.proj")), tb + "ff.net.2"));
        h = t.reshape({n, hh, ww, c}).permute({0, 3, 1, 2}).contiguous();
        return ops::ref::add(conv(h, b + "proj_out"), x);
    }

    Tensor emb_silu(const Tensor& timesteps, int64_t mc) const {
        const int64_t b = timesteps.size(0), half = mc / 2;
        Tensor e = Tensor::zeros({b, mc});
        for (int64_t i = 0; i < b; ++i)
            for (int64_t j = 0; j < half; ++j) {
                const double freq = std::exp(-std::log(10000.0) * double(j) / double(half));
                const double arg = double(timesteps.data<float>()[i]) * float(freq);
                e.data<float>()[i * mc + j] = static_cast<float>(std::cos(arg));
                e.data<float>()[i * mc + half + j] = static_cast<float>(std::sin(arg));
            }
        return ops::ref::silu(linear(ops::ref::silu(linear(e, "time_embed.0")), "time_embed.2"));
    }

    /// Input block `n`'s layers as the spec builds them: conv, res(+attn) per level, downsamples.
    Tensor input_block(const TinyUNetSpec& s, int64_t n, const Tensor& h, const Tensor& es, const Tensor& ctx) const {
        const std::string b = "input_blocks." + std::to_string(n) + ".";
        if (n == 0) return conv(h, b + "0");
        if (f.contains(p + b + "0.op.weight")) return conv(h, b + "0.op", 2);
        Tensor x = resblock(h, es, b + "0.");
        if (f.contains(p + b + "1.proj_in.weight")) x = transformer(x, ctx, b + "1.");
        return x;
    }
    Tensor middle(const TinyUNetSpec& s, Tensor h, const Tensor& es, const Tensor& ctx) const {
        h = resblock(h, es, "middle_block.0.");
        if (!s.middle_attention) return resblock(h, es, "middle_block.1.");
        return resblock(transformer(h, ctx, "middle_block.1."), es, "middle_block.2.");
    }
    int64_t input_blocks(const TinyUNetSpec& s) const { return static_cast<int64_t>(input_block_widths(s).size()); }
};

/// The ControlNet from the formulas: guided hint added after input block 0, zero conv per block.
models::ControlResiduals ref_controlnet(const ModelFile& f, const std::string& prefix, const TinyUNetSpec& s, const Tensor& x,
                                      const Tensor& hint, const Tensor& t, const Tensor& ctx) {
    Ref r{f, prefix};
    const Tensor es = r.emb_silu(t, s.model_channels);
    Tensor g = hint;
    for (int i = 0; i < 8; ++i) {
        g = r.conv(g, "input_hint_block." + std::to_string(2 * i), (i == 2 || i == 4 || i == 6) ? 2 : 1);
        if (i < 7) g = ops::ref::silu(g);
    }
    models::ControlResiduals out;
    Tensor h = x;
    for (int64_t n = 0; n < r.input_blocks(s); ++n) {
        h = r.input_block(s, n, h, es, ctx);
        if (n == 0) h = ops::ref::add(h, g);
        out.skip.push_back(r.conv(h, "zero_convs." + std::to_string(n) + ".0"));
    }
    out.middle = r.conv(r.middle(s, h, es, ctx), "middle_block_out.0");
    return out;
}

/// The UNet from the formulas with ComfyUI's apply_control: input residuals after each input block,
/// middle after the middle block, skip residuals on each popped skip.
Tensor ref_unet(const ModelFile& f, const TinyUNetSpec& s, const Tensor& x, const Tensor& t, const Tensor& ctx, const models::ControlResiduals& c) {
    Ref r{f, "model.diffusion_model."};
    const Tensor es = r.emb_silu(t, s.model_channels);
    auto add_at = [](Tensor h, const std::vector<Tensor>& list, size_t i) {
        return i < list.size() && list[i].defined() ? ops::ref::add(h, list[i]) : h;
    };
    std::vector<Tensor> hs;
    Tensor h = x;
    for (int64_t n = 0; n < r.input_blocks(s); ++n) {
        h = add_at(r.input_block(s, n, h, es, ctx), c.input, static_cast<size_t>(n));
        hs.push_back(h);
    }
    h = r.middle(s, h, es, ctx);
    if (c.middle.defined()) h = ops::ref::add(h, c.middle);
    for (int64_t n = 0; !hs.empty(); ++n) {
        const Tensor skip = add_at(hs.back(), c.skip, hs.size() - 1);
        hs.pop_back();
        h = ops::ref::concat({h, skip}, 1);
        const std::string b = "output_blocks." + std::to_string(n) + ".";
        h = r.resblock(h, es, b + "0.");
        int k = 1;
        if (f.contains(r.p + b + "1.proj_in.weight")) h = r.transformer(h, ctx, b + std::to_string(k++) + ".");
        if (f.contains(r.p + b + std::to_string(k) + ".conv.weight"))
            h = r.conv(ops::ref::upsample_nearest(h, hs.back().size(2), hs.back().size(3)), b + std::to_string(k) + ".conv");
    }
    return r.conv(ops::ref::silu(r.gn(h, "out.0", 1e-5f)), "out.2");
}

/// Reference adapters (TencentARC's layout): features after each level.
Tensor ref_avg_pool_even(const Tensor& x) {
    const int64_t n = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
    Tensor out = Tensor::zeros({x.size(0), x.size(1), h / 2, w / 2});
    for (int64_t p = 0; p < n; ++p)
        for (int64_t i = 0; i < h / 2; ++i)
            for (int64_t j = 0; j < w / 2; ++j) {
                const float* s = x.data<float>() + p * h * w;
                out.data<float>()[(p * (h / 2) + i) * (w / 2) + j] =
                    (s[2 * i * w + 2 * j] + s[2 * i * w + 2 * j + 1] + s[(2 * i + 1) * w + 2 * j] + s[(2 * i + 1) * w + 2 * j + 1]) / 4;
            }
    return out;
}
Tensor relu(const Tensor& x) {
    Tensor o = x.clone();
    for (int64_t i = 0; i < o.numel(); ++i) o.data<float>()[i] = std::max(0.0f, o.data<float>()[i]);
    return o;
}
std::vector<Tensor> ref_t2i_full(const ModelFile& f, const Tensor& hint, int64_t per_level) {
    Ref r{f, ""};
    Tensor x = r.conv(ops::ref::pixel_unshuffle(hint, 8), "conv_in");
    std::vector<Tensor> feats;
    for (int64_t l = 0, n = 0; l < 4; ++l) {
        for (int64_t j = 0; j < per_level; ++j, ++n) {
            const std::string b = "body." + std::to_string(n) + ".";
            if (l > 0 && j == 0) x = f.contains(b + "down_opt.op.weight") ? r.conv(x, b + "down_opt.op", 2) : ref_avg_pool_even(x);
            if (f.contains(b + "in_conv.weight")) x = r.conv(x, b + "in_conv");
            x = ops::ref::add(r.conv(relu(r.conv(x, b + "block1")), b + "block2"), x);
        }
        feats.push_back(x);
    }
    return feats;
}
std::vector<Tensor> ref_t2i_light(const ModelFile& f, const Tensor& hint, int64_t levels, int64_t per_level) {
    Ref r{f, ""};
    Tensor x = ops::ref::pixel_unshuffle(hint, 8);
    std::vector<Tensor> feats;
    for (int64_t l = 0; l < levels; ++l) {
        const std::string b = "body." + std::to_string(l) + ".";
        if (l > 0) x = ref_avg_pool_even(x);
        x = r.conv(x, b + "in_conv");
        for (int64_t k = 0; k < per_level; ++k) {
            const std::string rb = b + "body." + std::to_string(k) + ".";
            x = ops::ref::add(r.conv(relu(r.conv(x, rb + "block1")), rb + "block2"), x);
        }
        feats.push_back(x = r.conv(x, b + "out_conv"));
    }
    return feats;
}

// ---------------------------------------------------------------------------------------------
// fixtures

double rel_error(const Tensor& got, const Tensor& want) {
    EXPECT_EQ(got.shape(), want.shape());
    if (got.shape() != want.shape()) return 1e9;
    const Tensor a = f32(got), b = f32(want);
    double diff = 0, ref = 0;
    for (int64_t i = 0; i < b.numel(); ++i) {
        diff = std::max(diff, std::abs(double(a.data<float>()[i]) - b.data<float>()[i]));
        ref = std::max(ref, std::abs(double(b.data<float>()[i])));
    }
    return diff / std::max(ref, 1e-30);
}

double max_abs(const Tensor& t) {
    const Tensor a = f32(t);
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(double(a.data<float>()[i])));
    return m;
}

class ControlNetTest : public ::testing::Test {
protected:
    fs::path dir;
    TinyUNetSpec spec;
    const models::ModelSamplingDiscrete sampling = models::ModelSamplingDiscrete::sd1();

    void SetUp() override {
        dir = fs::temp_directory_path() / ("weft_controlnet_" + std::to_string(::getpid()) + "_" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    fs::path write_controlnet(const std::string& name, uint64_t seed, const std::string& prefix = "control_model.") {
        TinyWeights w(seed);
        add_controlnet(w, prefix, spec);
        w.write(dir / name);
        return dir / name;
    }
    fs::path write_unet(const std::string& name, uint64_t seed) {
        TinyWeights w(seed);
        add_unet(w, "model.diffusion_model.", spec);
        w.write(dir / name);
        return dir / name;
    }
    models::ControlResiduals query(const models::ControlHook& hook, const Tensor& x, const Tensor& t, const Tensor& ctx, double sigma,
                                 int64_t batched = 1) const {
        return hook.residuals(models::ControlQuery{.x_in = x, .timesteps = t, .sigma = sigma, .context = ctx, .sampling = sampling, .batched_number = batched});
    }
};

void expect_residuals_near(const models::ControlResiduals& got, const models::ControlResiduals& want, double tol, float scale = 1.0f) {
    ASSERT_EQ(got.skip.size(), want.skip.size());
    for (size_t i = 0; i < want.skip.size(); ++i) EXPECT_LT(rel_error(got.skip[i], ops::mul(want.skip[i], scale)), tol) << "skip " << i;
    ASSERT_TRUE(got.middle.defined());
    EXPECT_LT(rel_error(got.middle, ops::mul(want.middle, scale)), tol) << "middle";
}

// ---------------------------------------------------------------------------------------------
// tests

TEST_F(ControlNetTest, ForwardMatchesReference) {
    const fs::path path = write_controlnet("cn.safetensors", 11);
    auto model = models::load_control_model(path.string());
    ASSERT_TRUE(model->controlnet);
    EXPECT_EQ(model->controlnet->hint_channels(), 3);
    EXPECT_EQ(model->controlnet->context_dim(), spec.context_dim);
    EXPECT_EQ(model->controlnet->input_block_count(), 4u);

    const Tensor x = random_tensor({2, 4, 8, 8}, 1), hint = random_tensor({2, 3, 64, 64}, 2, 0.5f, 0.5f);
    const Tensor t = Tensor::from_vector({2}, std::vector<float>{999, 421}), ctx = random_tensor({2, 5, spec.context_dim}, 3);
    const models::ControlResiduals got = model->controlnet->forward(x, hint, t, ctx);
    const ModelFile f = open_model_file(path.string());
    const models::ControlResiduals want = ref_controlnet(f, "control_model.", spec, x, hint, t, ctx);
    expect_residuals_near(got, want, 1e-4);
    EXPECT_EQ(got.skip[3].shape(), (Shape{2, 64, 4, 4}));
    EXPECT_GT(max_abs(got.middle), 1e-3);
}

TEST_F(ControlNetTest, UnprefixedKeysLoadAlike) {
    const fs::path a = write_controlnet("a.safetensors", 5, "control_model.");
    const fs::path b = write_controlnet("b.safetensors", 5, "");
    const Tensor x = random_tensor({1, 4, 8, 8}, 1), hint = random_tensor({1, 3, 64, 64}, 2, 0.5f, 0.5f);
    const Tensor t = Tensor::full({1}, 500.0f), ctx = random_tensor({1, 3, spec.context_dim}, 3);
    const auto ra = models::load_control_model(a.string())->controlnet->forward(x, hint, t, ctx);
    const auto rb = models::load_control_model(b.string())->controlnet->forward(x, hint, t, ctx);
    expect_residuals_near(ra, rb, 1e-7);
}

TEST_F(ControlNetTest, ControlledUNetMatchesReference) {
    const fs::path cn_path = write_controlnet("cn.safetensors", 21);
    const fs::path unet_path = write_unet("unet.safetensors", 22);
    auto model = models::load_control_model(cn_path.string());
    const ModelFile uf = open_model_file(unet_path.string());
    const nets::UNet unet = nets::UNet::load(nets::WeightTable(std::make_shared<const ModelFile>(uf), "model.diffusion_model."), {.heads = 8});

    // The hint image at another size and aspect than 8x the latent: centre-cropped, resized.
    const Tensor image = random_tensor({1, 3, 40, 56}, 4, 0.5f, 0.5f);
    const models::AppliedControl hook(model, image, {.strength = 0.75}, nullptr);
    const Tensor x = random_tensor({2, 4, 8, 8}, 5), ctx = random_tensor({2, 7, spec.context_dim}, 6);
    const double sigma = 3.0;
    const Tensor t = Tensor::full({2}, sampling.timestep(static_cast<float>(sigma)));
    const models::ControlResiduals r = query(hook, x, t, ctx, sigma);

    const ModelFile cf = open_model_file(cn_path.string());
    const Tensor hint = resize_control_hint(image, 64, 64);
    models::ControlResiduals want = ref_controlnet(cf, "control_model.", spec, x, hint, t, ctx);
    expect_residuals_near(r, want, 1e-4, 0.75f);

    for (Tensor& s : want.skip) s = ops::mul(s, 0.75f);
    want.middle = ops::mul(want.middle, 0.75f);
    const Tensor got = unet.forward(x, t, ctx, &r);
    const Tensor ref = ref_unet(uf, spec, x, t, ctx, want);
    EXPECT_LT(rel_error(got, ref), 1e-4);
    // The control changes the prediction (the comparison above is not vacuous).
    EXPECT_GT(rel_error(unet.forward(x, t, ctx), ref), 1e-3);
}

TEST_F(ControlNetTest, HintIsResizedNearestExactWithCentreCrop) {
    // 3 x 5 image to 4 x 4: the wider aspect is cropped by round((5 - 5 * 3/5) / 2) = 1 column per side.
    const Tensor image = random_tensor({1, 2, 3, 5}, 9);
    const Tensor got = resize_control_hint(image, 4, 4);
    ASSERT_EQ(got.shape(), (Shape{1, 2, 4, 4}));
    for (int64_t c = 0; c < 2; ++c)
        for (int64_t i = 0; i < 4; ++i)
            for (int64_t j = 0; j < 4; ++j) {
                // nearest-exact: source = floor((dst + 0.5) * in / out), in the cropped 3 x 3 window at column 1.
                const int64_t si = static_cast<int64_t>(std::floor((i + 0.5) * 3.0 / 4.0));
                const int64_t sj = 1 + static_cast<int64_t>(std::floor((j + 0.5) * 3.0 / 4.0));
                EXPECT_EQ(got.data<float>()[(c * 4 + i) * 4 + j], image.data<float>()[(c * 3 + si) * 5 + sj]) << c << " " << i << " " << j;
            }
}

TEST_F(ControlNetTest, HintBatchIsBroadcastPerConditioningEntry) {
    const Tensor h = random_tensor({3, 1, 2, 2}, 10);
    auto row = [&](const Tensor& t, int64_t i) { return t.slice(0, i, i + 1).contiguous(); };
    EXPECT_EQ(broadcast_control_hint(random_tensor({1, 1, 2, 2}, 1), 4, 2).size(0), 1);  // a single image broadcasts
    // batch 4 = 2 entries x 2 rows: the first two images, once per entry.
    const Tensor b = broadcast_control_hint(h, 4, 2);
    ASSERT_EQ(b.size(0), 4);
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(rel_error(row(b, i), row(h, i % 2)), 0.0) << i;
    // batch 10 = 2 entries x 5 rows: images 0 1 2 0 1, per entry.
    const Tensor c = broadcast_control_hint(h, 10, 2);
    ASSERT_EQ(c.size(0), 10);
    const int64_t expect[] = {0, 1, 2, 0, 1, 0, 1, 2, 0, 1};
    for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(rel_error(row(c, i), row(h, expect[i])), 0.0) << i;
}

TEST_F(ControlNetTest, HookBroadcastsAHintBatchOverStackedEntries) {
    auto model = models::load_control_model(write_controlnet("cn.safetensors", 31).string());
    const Tensor images = random_tensor({2, 3, 64, 64}, 7, 0.5f, 0.5f);
    const models::AppliedControl hook(model, images, {}, nullptr);
    const Tensor x = random_tensor({4, 4, 8, 8}, 8), ctx = random_tensor({4, 3, spec.context_dim}, 9), t = Tensor::full({4}, 700.0f);
    const auto r = query(hook, x, t, ctx, 5.0, 2);
    const Tensor hint = ops::concat({images, images}, 0);  // positive rows 0-1, negative rows 2-3
    expect_residuals_near(r, model->controlnet->forward(x, hint, t, ctx), 1e-6);
}

TEST_F(ControlNetTest, StartAndEndPercentGateBySigma) {
    auto model = models::load_control_model(write_controlnet("cn.safetensors", 41).string());
    const models::AppliedControl hook(model, random_tensor({1, 3, 64, 64}, 1, 0.5f, 0.5f), {.strength = 1.0, .start_percent = 0.25, .end_percent = 0.5}, nullptr);
    const Tensor x = random_tensor({1, 4, 8, 8}, 2), ctx = random_tensor({1, 3, spec.context_dim}, 3), t = Tensor::full({1}, 600.0f);
    const double s_start = sampling.percent_to_sigma(0.25), s_end = sampling.percent_to_sigma(0.5);
    ASSERT_GT(s_start, s_end);
    EXPECT_TRUE(query(hook, x, t, ctx, s_start * 1.01).empty());       // before the window
    EXPECT_FALSE(query(hook, x, t, ctx, s_start).empty());             // its first sigma counts
    EXPECT_FALSE(query(hook, x, t, ctx, std::sqrt(s_start * s_end)).empty());
    EXPECT_FALSE(query(hook, x, t, ctx, s_end).empty());
    EXPECT_TRUE(query(hook, x, t, ctx, s_end * 0.99).empty());         // after it
    // The defaults cover every sigma (percent 0 -> 999999999.9, percent 1 -> 0).
    const models::AppliedControl always(model, random_tensor({1, 3, 64, 64}, 1), {}, nullptr);
    EXPECT_FALSE(query(always, x, t, ctx, 1e6).empty());
    EXPECT_FALSE(query(always, x, t, ctx, 0.0).empty());
}

TEST_F(ControlNetTest, ChainedControlNetsSum) {
    auto m1 = models::load_control_model(write_controlnet("one.safetensors", 51).string());
    auto m2 = models::load_control_model(write_controlnet("two.safetensors", 52).string());
    const Tensor img1 = random_tensor({1, 3, 64, 64}, 1, 0.5f, 0.5f), img2 = random_tensor({1, 3, 64, 64}, 2, 0.5f, 0.5f);
    auto first = std::make_shared<const models::AppliedControl>(m1, img1, models::ControlSettings{.strength = 0.5}, nullptr);
    const models::AppliedControl second(m2, img2, {.strength = 1.5, .start_percent = 0.0, .end_percent = 0.5}, first);
    const models::AppliedControl second_alone(m2, img2, {.strength = 1.5}, nullptr);
    const Tensor x = random_tensor({1, 4, 8, 8}, 3), ctx = random_tensor({1, 3, spec.context_dim}, 4), t = Tensor::full({1}, 900.0f);

    const double early = sampling.percent_to_sigma(0.2), late = sampling.percent_to_sigma(0.8);
    const auto a = query(*first, x, t, ctx, early), b = query(second_alone, x, t, ctx, early);
    const auto both = query(second, x, t, ctx, early);
    ASSERT_EQ(both.skip.size(), a.skip.size());
    for (size_t i = 0; i < a.skip.size(); ++i) EXPECT_LT(rel_error(both.skip[i], ops::add(a.skip[i], b.skip[i])), 1e-6);
    EXPECT_LT(rel_error(both.middle, ops::add(a.middle, b.middle)), 1e-6);
    // Past the second's window only the first remains.
    const auto only_first = query(second, x, t, ctx, late);
    const auto a_late = query(*first, x, t, ctx, late);
    expect_residuals_near(only_first, a_late, 1e-12);
}

TEST_F(ControlNetTest, ShuffleControlNetsAverageSpatially) {
    const fs::path plain = write_controlnet("cn.safetensors", 61);
    const fs::path shuffle = dir / "control_v11e_sd15_shuffle.safetensors";
    fs::copy_file(plain, shuffle);
    auto m = models::load_control_model(shuffle.string());
    EXPECT_TRUE(m->global_average_pooling);
    EXPECT_FALSE(models::load_control_model(plain.string())->global_average_pooling);
    const Tensor x = random_tensor({1, 4, 8, 8}, 3), ctx = random_tensor({1, 3, spec.context_dim}, 4), t = Tensor::full({1}, 900.0f);
    const models::AppliedControl hook(m, random_tensor({1, 3, 64, 64}, 1, 0.5f, 0.5f), {.strength = 2.0}, nullptr);
    const auto r = query(hook, x, t, ctx, 1.0);
    const auto raw = m->controlnet->forward(x, resize_control_hint(random_tensor({1, 3, 64, 64}, 1, 0.5f, 0.5f), 64, 64), t, ctx);
    const Tensor s = raw.skip[1];
    const int64_t hw = s.size(2) * s.size(3);
    for (int64_t c = 0; c < s.size(1); ++c) {
        double mean = 0;
        for (int64_t i = 0; i < hw; ++i) mean += s.data<float>()[c * hw + i];
        mean /= double(hw);
        for (int64_t i = 0; i < hw; ++i) EXPECT_NEAR(r.skip[1].data<float>()[c * hw + i], 2.0 * mean, 1e-4 * (1 + std::abs(mean)));
    }
}

TEST_F(ControlNetTest, DiffControlNetAddsTheBaseModelWeights) {
    // A diff file holds (ControlNet - UNet) for the shared encoder keys; DiffControlNetLoader adds the
    // base model's weights back. The sum is compared with a ControlNet stored whole.
    const fs::path base_path = write_unet("base.safetensors", 71);
    const fs::path whole_path = write_controlnet("whole.safetensors", 72);
    const ModelFile base = open_model_file(base_path.string()), whole = open_model_file(whole_path.string());
    TinyWeights diff(0);
    for (const auto& [name, t] : whole.tensors) {
        const std::string key = "model.diffusion_model." + name.substr(std::string("control_model.").size());
        diff.add(name, base.contains(key) ? ops::sub(f32(t), f32(base.at(key))) : f32(t));
    }
    diff.add("difference", Tensor::zeros({1}));
    diff.write(dir / "diff.safetensors");

    models::DiffusionModel model;
    model.path = base_path.string();
    auto loaded = models::load_control_model((dir / "diff.safetensors").string(), &model);
    auto reference = models::load_control_model(whole_path.string());
    const Tensor x = random_tensor({1, 4, 8, 8}, 3), hint = random_tensor({1, 3, 64, 64}, 1, 0.5f, 0.5f);
    const Tensor ctx = random_tensor({1, 3, spec.context_dim}, 4), t = Tensor::full({1}, 250.0f);
    expect_residuals_near(loaded->controlnet->forward(x, hint, t, ctx), reference->controlnet->forward(x, hint, t, ctx), 1e-5);
    // Without a model (ControlNetLoader) the deltas are used as stored, as ComfyUI does.
    auto raw = models::load_control_model((dir / "diff.safetensors").string());
    EXPECT_GT(rel_error(raw->controlnet->forward(x, hint, t, ctx).middle, reference->controlnet->forward(x, hint, t, ctx).middle), 1e-3);
}

TEST_F(ControlNetTest, OtherFamiliesAreRefusedNamingTheFile) {
    auto expect_refused = [&](const std::string& name, TinyWeights& w, const std::string& words) {
        w.write(dir / name);
        try {
            models::load_control_model((dir / name).string());
            ADD_FAILURE() << name << " loaded";
        } catch (const Error& e) {
            EXPECT_EQ(e.type(), "model_load_failed");
            EXPECT_NE(std::string(e.what()).find((dir / name).string()), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        }
    };
    {
        TinyWeights w(1);
        add_controlnet(w, "control_model.", spec);
        w.linear("control_model.label_emb.0.0", 8, 128);
        expect_refused("xl.safetensors", w, "SDXL ControlNet");
    }
    {
        TinyWeights w(1);
        add_controlnet(w, "control_model.", spec);
        for (auto& [name, t] : w.tensors)
            if (name.ends_with("proj_in.weight")) t = t.reshape({t.size(0), t.size(1)});
        expect_refused("sd2.safetensors", w, "SD2");
    }
    {
        TinyWeights w(1);
        w.conv("controlnet_cond_embedding.conv_in", 3, 16, 3);
        w.linear("add_embedding.linear_1", 8, 8);
        expect_refused("diffusers_xl.safetensors", w, "SDXL ControlNet");
    }
    {
        TinyWeights w(1);
        add_t2i_full(w, 32, 1, 256, true);
        expect_refused("t2i_xl.safetensors", w, "SDXL T2I-adapter");
    }
    {
        TinyWeights w(1);
        w.conv("something.else", 3, 3, 1);
        expect_refused("random.safetensors", w, "neither a ControlNet nor a T2I-adapter");
    }
    {
        TinyWeights w(1);
        w.add("lora_controlnet", Tensor::zeros({1}));
        expect_refused("control_lora.safetensors", w, "Control-LoRA");
    }
}

TEST_F(ControlNetTest, ContextOfAnotherWidthIsRefusedNamingTheFile) {
    const fs::path path = write_controlnet("cn.safetensors", 81);
    const models::AppliedControl hook(models::load_control_model(path.string()), random_tensor({1, 3, 64, 64}, 1), {}, nullptr);
    const Tensor x = random_tensor({1, 4, 8, 8}, 2), t = Tensor::full({1}, 10.0f), ctx = random_tensor({1, 3, 768}, 3);
    try {
        query(hook, x, t, ctx, 1.0);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("768"), std::string::npos) << e.what();
    }
}

// T2I-adapters ---------------------------------------------------------------------------------

TEST(T2IAdapterTest, AveragePoolingCountsPadding) {
    // AvgPool2d(2, 2, padding=(H%2, W%2)), count_include_pad: a 3 x 3 input pads one zero row/column
    // on each side and every window divides by 4.
    const Tensor x = Tensor::from_vector({1, 1, 3, 3}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9});
    const Tensor y = nets::adapter_avg_pool(x);
    ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
    EXPECT_FLOAT_EQ(y.data<float>()[0], 1.0f / 4);
    EXPECT_FLOAT_EQ(y.data<float>()[1], (2.0f + 3.0f) / 4);
    EXPECT_FLOAT_EQ(y.data<float>()[2], (4.0f + 7.0f) / 4);
    EXPECT_FLOAT_EQ(y.data<float>()[3], (5.0f + 6.0f + 8.0f + 9.0f) / 4);
    const Tensor even = random_tensor({2, 3, 4, 6}, 1);
    EXPECT_LT(rel_error(nets::adapter_avg_pool(even), ref_avg_pool_even(even)), 1e-6);
}

class T2IAdapterFileTest : public ControlNetTest {};

TEST_F(T2IAdapterFileTest, FullAdapterMatchesReferenceAndFeedsTheUNet) {
    for (bool conv_down : {true, false}) {
        TinyWeights w(91 + conv_down);
        add_t2i_full(w, 32, 2, 192, conv_down);
        const fs::path path = dir / (conv_down ? "t2i_conv.safetensors" : "t2i_pool.safetensors");
        w.write(path);
        auto model = models::load_control_model(path.string());
        ASSERT_TRUE(model->adapter);
        EXPECT_EQ(model->adapter->in_channels(), 3);
        const Tensor hint = random_tensor({1, 3, 128, 128}, 5, 0.5f, 0.5f);
        const auto got = model->adapter->forward(hint);
        const auto want = ref_t2i_full(open_model_file(path.string()), hint, 2);
        ASSERT_EQ(got.size(), 4u);
        for (size_t i = 0; i < 4; ++i) EXPECT_LT(rel_error(got[i], want[i]), 1e-4) << i;
        EXPECT_EQ(got[3].shape(), (Shape{1, 128, 2, 2}));
    }

    // Into a UNet with SD1's 12 input blocks (4 levels x 2 res-blocks): feature i after input block 3i+2.
    spec.mult = {1, 2, 4, 4};  // the adapter's widths 32, 64, 128, 128
    spec.res_blocks = 2;
    spec.attention = {false, false, false, false};
    spec.middle_attention = false;
    const fs::path unet_path = write_unet("unet12.safetensors", 93);
    TinyWeights w(94);
    add_t2i_full(w, 32, 2, 192, true);
    w.write(dir / "t2i.safetensors");
    auto model = models::load_control_model((dir / "t2i.safetensors").string());
    const Tensor image = random_tensor({1, 3, 128, 128}, 6, 0.5f, 0.5f);
    const models::AppliedControl hook(model, image, {.strength = 0.6}, nullptr);
    const Tensor x = random_tensor({2, 4, 16, 16}, 7), ctx = random_tensor({2, 3, spec.context_dim}, 8), t = Tensor::full({2}, 300.0f);
    const auto r = query(hook, x, t, ctx, 2.0);
    ASSERT_EQ(r.input.size(), 12u);
    EXPECT_TRUE(r.skip.empty());
    EXPECT_FALSE(r.middle.defined());
    const auto feats = ref_t2i_full(open_model_file((dir / "t2i.safetensors").string()), image, 2);
    models::ControlResiduals want;
    want.input.resize(12);
    for (size_t i = 0; i < 12; ++i) {
        if (i % 3 != 2) {
            EXPECT_FALSE(r.input[i].defined()) << i;
            continue;
        }
        const Tensor f = ops::mul(feats[i / 3], 0.6f);
        want.input[i] = ops::concat({f, f}, 0);  // the batch of one image serves both rows
        EXPECT_LT(rel_error(r.input[i], want.input[i]), 1e-4) << i;
    }
    const ModelFile uf = open_model_file(unet_path.string());
    const nets::UNet unet = nets::UNet::load(nets::WeightTable(std::make_shared<const ModelFile>(uf), "model.diffusion_model."), {.heads = 8});
    const Tensor ref = ref_unet(uf, spec, x, t, ctx, want);
    EXPECT_LT(rel_error(unet.forward(x, t, ctx, &r), ref), 1e-4);
    EXPECT_GT(rel_error(unet.forward(x, t, ctx), ref), 1e-3);
}

TEST_F(T2IAdapterFileTest, LightSingleChannelAdapterAveragesTheHint) {
    TinyWeights w(101);
    add_t2i_light(w, {32, 64, 128, 128}, 2, 64);
    w.write(dir / "light.safetensors");
    auto model = models::load_control_model((dir / "light.safetensors").string());
    ASSERT_TRUE(model->adapter);
    EXPECT_TRUE(model->adapter->light());
    EXPECT_EQ(model->adapter->in_channels(), 1);
    const Tensor image = random_tensor({1, 3, 64, 64}, 3, 0.5f, 0.5f);
    const models::AppliedControl hook(model, image, {.strength = 1.0}, nullptr);
    const Tensor x = random_tensor({1, 4, 8, 8}, 4), ctx = random_tensor({1, 3, spec.context_dim}, 5), t = Tensor::full({1}, 300.0f);
    const auto r = query(hook, x, t, ctx, 2.0);
    // torch.mean over the colour channels, then the light adapter.
    Tensor gray = Tensor::zeros({1, 1, 64, 64});
    for (int64_t i = 0; i < 64 * 64; ++i)
        gray.data<float>()[i] = (image.data<float>()[i] + image.data<float>()[4096 + i] + image.data<float>()[2 * 4096 + i]) / 3.0f;
    const auto want = ref_t2i_light(open_model_file((dir / "light.safetensors").string()), gray, 4, 2);
    for (size_t i = 0; i < 4; ++i) EXPECT_LT(rel_error(r.input[3 * i + 2], want[i]), 1e-4) << i;
}

TEST_F(T2IAdapterFileTest, DiffusersNamesAreRenamed) {
    TinyWeights orig(111);
    add_t2i_full(orig, 32, 2, 192, true);
    orig.write(dir / "orig.safetensors");
    TinyWeights renamed(0);
    for (const auto& [name, t] : orig.tensors) {
        std::string n = name;
        if (n.starts_with("body.")) {
            const size_t dot = n.find('.', 5);
            const int k = std::stoi(n.substr(5, dot - 5));
            n = "adapter.body." + std::to_string(k / 2) + ".resnets." + std::to_string(k % 2) + n.substr(dot);
        } else {
            n = "adapter." + n;
        }
        renamed.add(n, t);
    }
    renamed.write(dir / "diffusers.safetensors");
    const Tensor hint = random_tensor({1, 3, 64, 64}, 5, 0.5f, 0.5f);
    const auto a = models::load_control_model((dir / "orig.safetensors").string())->adapter->forward(hint);
    const auto b = models::load_control_model((dir / "diffusers.safetensors").string())->adapter->forward(hint);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(rel_error(a[i], b[i]), 0.0);
}

}  // namespace
}  // namespace weft::testing
