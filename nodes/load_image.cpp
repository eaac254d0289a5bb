// LoadImage and LoadImageMask: image files from the input folder as IMAGE/MASK.
#include "media/image_decode.h"
#include "nodes/input_files.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"

#include <weft/node.h>

namespace weft::nodes {

namespace {

const std::vector<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".webp", ".jfif", ".apng"};

media::DecodedImage load(const NodeContext& ctx, const std::filesystem::path& path) {
    try {
        return media::decode_image_file(path);
    } catch (Error& e) {
        e.at_input("image");
        throw;
    }
}

Tensor u8_plane(const std::vector<uint8_t>& v, int64_t h, int64_t w, bool invert) {
    Tensor t = Tensor::zeros({1, h, w});
    float* d = t.data<float>();
    for (size_t i = 0; i < v.size(); ++i) {
        const float a = float(v[i]) / 255.0f;
        d[i] = invert ? 1.0f - a : a;
    }
    return t;
}

}  // namespace

void register_load_image_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("LoadImage")
                               .display("Load Image")
                               .category("image")
                               .required(file_picker("image", kImageExtensions).with_image_upload())
                               .output("IMAGE")
                               .output("MASK")};
        add_picked_file_checks(def, "image", "Invalid image file");
        def.execute = [](NodeContext& ctx) {
            const media::DecodedImage img = load(ctx, picked_file(ctx, "image"));
            // Every frame of the first frame's size becomes a batch item (others are skipped);
            // RGB values, and mask = 1 - alpha, or a 64x64 zero mask without alpha.
            const int64_t w = img.frames.front().width, h = img.frames.front().height;
            std::vector<Tensor> images, masks;
            for (const media::ImageFrame& f : img.frames) {
                if (f.width != w || f.height != h) continue;
                Tensor rgb = Tensor::zeros({1, h, w, 3});
                float* d = rgb.data<float>();
                for (int c = 0; c < 3; ++c) {
                    const std::vector<uint8_t> ch = f.rgba_channel(c);
                    for (size_t p = 0; p < ch.size(); ++p) d[p * 3 + size_t(c)] = float(ch[p]) / 255.0f;
                }
                images.push_back(std::move(rgb));
                masks.push_back(f.has_alpha() ? u8_plane(f.rgba_channel(3), h, w, true) : Tensor::zeros({1, 64, 64}));
            }
            try {
                ctx.set_output(0, concat_batch(images));
                ctx.set_output(1, concat_batch(masks));
            } catch (Error& e) {
                e.at_input("image");
                throw;
            }
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("LoadImageMask")
                               .display("Load Image (as Mask)")
                               .category("mask")
                               .required(file_picker("image", kImageExtensions).with_image_upload())
                               .required(Input::combo("channel", {"alpha", "red", "green", "blue"}))
                               .output("MASK")};
        add_picked_file_checks(def, "image", "Invalid image file");
        def.execute = [](NodeContext& ctx) {
            const media::DecodedImage img = load(ctx, picked_file(ctx, "image"));
            const media::ImageFrame& f = img.frames.front();
            const std::string& channel = ctx.get_string("channel");
            const int c = channel == "red" ? 0 : channel == "green" ? 1 : channel == "blue" ? 2 : 3;
            // The image is seen as RGBA (no alpha = opaque); the alpha channel is inverted.
            ctx.set_output(0, u8_plane(f.rgba_channel(c), f.height, f.width, c == 3));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
