// IMAGE post-processing nodes: ImageBlend, ImageBlur, ImageSharpen
// (comfy_extras.nodes_post_processing).
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"
#include "tensor/resample.h"

#include <weft/node.h>

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cmath>

namespace weft::nodes {

namespace {

float blend_pixel(float a, float b, int mode) {
    switch (mode) {
        case 0: return b;                                        // normal
        case 1: return a * b;                                    // multiply
        case 2: return 1.0f - (1.0f - a) * (1.0f - b);           // screen
        case 3: return a <= 0.5f ? 2.0f * a * b : 1.0f - 2.0f * (1.0f - a) * (1.0f - b);  // overlay
        case 4: {                                                // soft_light
            if (b <= 0.5f) return a - (1.0f - 2.0f * b) * a * (1.0f - a);
            const float g = a <= 0.25f ? ((16.0f * a - 12.0f) * a + 4.0f) * a : std::sqrt(a);
            return a + (2.0f * b - 1.0f) * (g - a);
        }
        default: return a - b;                                   // difference
    }
}

const std::vector<std::string> kBlendModes = {"normal", "multiply", "screen", "overlay", "soft_light", "difference"};

// The 1-d factor of ComfyUI's 2-d Gaussian kernel: positions linspace(-1, 1, size) (not pixels),
// exp(-x^2 / (2 sigma^2)), normalised. The 2-d kernel is the outer product of this one with itself.
std::vector<float> gaussian_1d(int64_t size, double sigma) {
    std::vector<float> k(static_cast<size_t>(size));
    const float step = size > 1 ? 2.0f / float(size - 1) : 0.0f;
    const float denom = float(2.0 * sigma * sigma);
    float sum = 0;
    for (int64_t i = 0; i < size; ++i) {
        // torch.linspace fills the first half from the start and the second half from the end.
        const float x = i < size / 2 ? -1.0f + step * float(i) : 1.0f - step * float(size - 1 - i);
        k[size_t(i)] = std::exp(-(x * x) / denom);
        sum += k[size_t(i)];
    }
    for (float& v : k) v /= sum;
    return k;
}

int64_t reflect(int64_t i, int64_t n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; }

// Gaussian blur of an IMAGE batch with reflect padding (separable).
Tensor gaussian_blur(const Tensor& img, int64_t radius, double sigma) {
    const int64_t b = img.size(0), h = img.size(1), w = img.size(2), c = img.size(3);
    const std::vector<float> k = gaussian_1d(2 * radius + 1, sigma);
    Tensor tmp = Tensor::zeros(img.shape()), out = Tensor::zeros(img.shape());
    const float* s = img.data<float>();
    float* t = tmp.data<float>();
    float* o = out.data<float>();
    auto rows = [&](auto&& body) {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, b * h), [&](const tbb::blocked_range<int64_t>& r) {
            for (int64_t row = r.begin(); row != r.end(); ++row) body(row / h, row % h);
        });
    };
    rows([&](int64_t n, int64_t y) {
        const float* in = s + (n * h + y) * w * c;
        float* dst = t + (n * h + y) * w * c;
        for (int64_t x = 0; x < w; ++x)
            for (int64_t ch = 0; ch < c; ++ch) {
                float acc = 0;
                for (int64_t j = -radius; j <= radius; ++j) acc += k[size_t(j + radius)] * in[reflect(x + j, w) * c + ch];
                dst[x * c + ch] = acc;
            }
    });
    rows([&](int64_t n, int64_t y) {
        float* dst = o + (n * h + y) * w * c;
        for (int64_t i = 0; i < w * c; ++i) {
            float acc = 0;
            for (int64_t j = -radius; j <= radius; ++j) acc += k[size_t(j + radius)] * t[(n * h + reflect(y + j, h)) * w * c + i];
            dst[i] = acc;
        }
    });
    return out;
}

void check_radius(NodeContext& ctx, const char* input, int64_t radius, const Tensor& img) {
    if (radius >= img.size(1) || radius >= img.size(2))
        throw input_error(ctx, input,
                          fmt::format("{} {} needs an image larger than {}x{} (reflect padding), got {}x{}", input, radius,
                                      radius, radius, img.size(2), img.size(1)));
}

}  // namespace

void register_image_filter_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("ImageBlend")
                               .category("image/postprocessing")
                               .module("comfy_extras.nodes_post_processing")
                               .required(Input::type_of("image1", "IMAGE"))
                               .required(Input::type_of("image2", "IMAGE"))
                               .required(Input::floating("blend_factor", 0.5).min(0.0).max(1.0).step(0.01))
                               .required(Input::combo("blend_mode", kBlendModes))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor a = image_batch_f32(ctx.get_tensor("image1"), "image1");
            Tensor b = match_source_channels(a, image_batch_f32(ctx.get_tensor("image2"), "image2"));
            if (b.size(1) != a.size(1) || b.size(2) != a.size(2))
                b = nchw_to_nhwc(common_upscale(nhwc_to_nchw(b), a.size(2), a.size(1), ResampleMethod::Bicubic, true));
            const int64_t na = a.size(0), nb = b.size(0);
            if (na != nb && na != 1 && nb != 1)
                throw input_error(ctx, "image2", fmt::format("batch sizes {} and {} cannot be blended", na, nb));
            const int64_t n = std::max(na, nb), item = a.numel() / na;
            const int mode = int(std::find(kBlendModes.begin(), kBlendModes.end(), ctx.get_string("blend_mode")) - kBlendModes.begin());
            const double f = ctx.get_float("blend_factor");
            const float keep = float(1.0 - f), mix = float(f);
            Tensor out = Tensor::zeros({n, a.size(1), a.size(2), a.size(3)});
            const float* pa = a.data<float>();
            const float* pb = b.data<float>();
            float* po = out.data<float>();
            for (int64_t i = 0; i < n; ++i) {
                const float* x = pa + (na == 1 ? 0 : i) * item;
                const float* y = pb + (nb == 1 ? 0 : i) * item;
                float* o = po + i * item;
                for (int64_t j = 0; j < item; ++j) {
                    const float v = x[j] * keep + blend_pixel(x[j], y[j], mode) * mix;
                    o[j] = std::clamp(v, 0.0f, 1.0f);
                }
            }
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageBlur")
                               .category("image/postprocessing")
                               .module("comfy_extras.nodes_post_processing")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::integer("blur_radius", 1).min(1).max(31).step(1))
                               .required(Input::floating("sigma", 1.0).min(0.1).max(10.0).step(0.1))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor img = image_batch_f32(ctx.get_tensor("image"));
            const int64_t radius = ctx.get_int("blur_radius");
            if (radius == 0) {
                ctx.set_output(0, img);
                return;
            }
            check_radius(ctx, "blur_radius", radius, img);
            ctx.set_output(0, gaussian_blur(img, radius, ctx.get_float("sigma")));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageSharpen")
                               .category("image/postprocessing")
                               .module("comfy_extras.nodes_post_processing")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::integer("sharpen_radius", 1).min(1).max(31).step(1))
                               .required(Input::floating("sigma", 1.0).min(0.1).max(10.0).step(0.01))
                               .required(Input::floating("alpha", 1.0).min(0.0).max(5.0).step(0.01))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor img = image_batch_f32(ctx.get_tensor("image"));
            const int64_t radius = ctx.get_int("sharpen_radius");
            if (radius == 0) {
                ctx.set_output(0, img);
                return;
            }
            check_radius(ctx, "sharpen_radius", radius, img);
            // ComfyUI's kernel is -10a * G with 1 + 10a added at the centre (the kernel sums to 1):
            // out = (1 + 10a) * x - 10a * blur(x), clamped to 0..1.
            const float a10 = float(ctx.get_float("alpha") * 10.0);
            Tensor out = gaussian_blur(img, radius, ctx.get_float("sigma"));
            const float* x = img.data<float>();
            float* o = out.data<float>();
            for (int64_t i = 0; i < out.numel(); ++i) o[i] = std::clamp(x[i] * (1.0f + a10) - a10 * o[i], 0.0f, 1.0f);
            ctx.set_output(0, std::move(out));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
