// IMAGE batch nodes: ImageBatch, ImageFromBatch, RepeatImageBatch, RebatchImages.
#include "nodes/image_pixels.h"
#include "nodes/node_families.h"
#include "nodes/tensor_helpers.h"
#include "tensor/resample.h"

#include <weft/node.h>

#include <cstring>

namespace weft::nodes {

namespace {

// `img` with one more channel filled with 1.0 (an opaque alpha), as F.pad(img, (0, 1), value=1).
Tensor add_ones_channel(const Tensor& img) {
    const int64_t b = img.size(0), h = img.size(1), w = img.size(2), c = img.size(3);
    Tensor out = Tensor::full({b, h, w, c + 1}, 1.0f);
    const float* s = img.data<float>();
    float* d = out.data<float>();
    for (int64_t i = 0; i < b * h * w; ++i) std::memcpy(d + i * (c + 1), s + i * c, sizeof(float) * size_t(c));
    return out;
}

}  // namespace

void register_image_batch_nodes(NodeRegistry& r) {
    {
        NodeDefinition def{NodeSchema("ImageBatch")
                               .display("Batch Images")
                               .category("image")
                               .deprecated()
                               .required(Input::type_of("image1", "IMAGE"))
                               .required(Input::type_of("image2", "IMAGE"))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            Tensor a = image_batch_f32(ctx.get_tensor("image1"), "image1");
            Tensor b = image_batch_f32(ctx.get_tensor("image2"), "image2");
            // A channel count mismatch is fixed by one opaque alpha channel on the smaller side.
            if (a.size(3) != b.size(3)) {
                if (a.size(3) > b.size(3)) b = add_ones_channel(b);
                else a = add_ones_channel(a);
            }
            if (a.size(1) != b.size(1) || a.size(2) != b.size(2) || a.size(3) != b.size(3))
                b = nchw_to_nhwc(common_upscale(nhwc_to_nchw(b), a.size(2), a.size(1), ResampleMethod::Bilinear, true));
            const Tensor parts[] = {a, b};
            ctx.set_output(0, concat_batch(parts));
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("ImageFromBatch")
                               .category("image/batch")
                               .module("comfy_extras.nodes_images")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::integer("batch_index", 0).min(0).max(4095))
                               .required(Input::integer("length", 1).min(1).max(4096))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            const Tensor image = image_batch_f32(ctx.get_tensor("image"));
            const int64_t n = image.size(0);
            const int64_t index = std::min(n - 1, ctx.get_int("batch_index"));
            const int64_t length = std::min(n - index, ctx.get_int("length"));
            ctx.set_output(0, image.slice(0, index, index + length).clone());
        };
        r.add(std::move(def));
    }
    {
        NodeDefinition def{NodeSchema("RepeatImageBatch")
                               .category("image/batch")
                               .module("comfy_extras.nodes_images")
                               .required(Input::type_of("image", "IMAGE"))
                               .required(Input::integer("amount", 1).min(1).max(4096))
                               .output("IMAGE")};
        def.execute = [](NodeContext& ctx) {
            ctx.set_output(0, repeat_batch(image_batch_f32(ctx.get_tensor("image")), ctx.get_int("amount")));
        };
        r.add(std::move(def));
    }
    {
        // INPUT_IS_LIST: every image batch of the list is split into items and regrouped into
        // batches of `batch_size` (the last one may be smaller); OUTPUT_IS_LIST.
        NodeDefinition def{NodeSchema("RebatchImages")
                               .display("Rebatch Images")
                               .category("image/batch")
                               .module("comfy_extras.nodes_rebatch")
                               .input_is_list()
                               .required(Input::type_of("images", "IMAGE"))
                               .required(Input::integer("batch_size", 1).min(1).max(4096))
                               .output("IMAGE", "IMAGE", true)};
        def.execute = [](NodeContext& ctx) {
            const List& sizes = ctx.input_list("batch_size");
            const int64_t batch_size = sizes.empty() ? 1 : sizes.front().as_int();
            if (batch_size < 1) throw input_error(ctx, "batch_size", "batch_size must be at least 1");
            std::vector<Tensor> items;
            for (const Value& v : ctx.input_list("images")) {
                const Tensor img = image_batch_f32(v.as_tensor(), "images");
                for (int64_t i = 0; i < img.size(0); ++i) items.push_back(img.slice(0, i, i + 1));
            }
            List out;
            for (size_t i = 0; i < items.size(); i += size_t(batch_size)) {
                const size_t end = std::min(items.size(), i + size_t(batch_size));
                try {
                    out.push_back(concat_batch(std::span<const Tensor>(items.data() + i, end - i)));
                } catch (Error& e) {
                    e.at_input("images");
                    throw;
                }
            }
            ctx.set_output_list(0, std::move(out));
        };
        r.add(std::move(def));
    }
}

}  // namespace weft::nodes
