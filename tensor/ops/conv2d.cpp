// conv2d through oneDNN's direct convolution. The weight is reordered once into the kernel's
// preferred layout; per input shape a primitive is cached together with the reorders that bring the
// NCHW F32 activation into the kernel's layout (and dtype) and the result back to NCHW.
#include "conv2d.h"

#include "dnnl_context.h"
#include "ops_common.h"

#include <map>
#include <mutex>
#include <optional>
#include <tuple>

namespace weft::ops {

using detail::check;
using dnnl::memory;
using tag = dnnl::memory::format_tag;

int64_t conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
    return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
}

struct PackedConv2d::Impl {
    int64_t out_ch = 0, in_ch = 0, kh = 0, kw = 0;
    Conv2dParams p;
    Compute mode = Compute::F32;
    Tensor bias;                 // F32 [out_ch] or undefined
    memory::desc packed_desc;
    memory packed;

    struct Entry {
        dnnl::convolution_forward prim;
        memory weights;          // `packed` or a re-pack for this shape
        memory::desc src_desc, dst_desc;
        bool src_plain = false, dst_plain = false;   // kernel works on NCHW F32 directly
        std::optional<dnnl::reorder> to_src, from_dst;
        memory::desc user_src, user_dst;
    };
    std::mutex mutex;
    std::map<std::tuple<int64_t, int64_t, int64_t>, Entry> by_shape;

    memory::dims weight_dims() const {
        if (p.groups == 1) return {out_ch, in_ch, kh, kw};
        return {p.groups, out_ch / p.groups, in_ch / p.groups, kh, kw};
    }
    memory::desc user_weight_desc() const {
        return {weight_dims(), memory::data_type::f32, p.groups == 1 ? tag::oihw : tag::goihw};
    }

    dnnl::convolution_forward::primitive_desc make_pd(int64_t N, int64_t H, int64_t W, const memory::desc& wd) const {
        const int64_t OH = conv_out_size(H, kh, p.stride[0], p.padding[0], p.dilation[0]);
        const int64_t OW = conv_out_size(W, kw, p.stride[1], p.padding[1], p.dilation[1]);
        memory::desc src({N, in_ch, H, W}, detail::dnnl_type(mode), tag::any);
        memory::desc dst({N, out_ch, OH, OW}, memory::data_type::f32, tag::any);
        memory::dims strides{p.stride[0], p.stride[1]}, dil{p.dilation[0] - 1, p.dilation[1] - 1};
        memory::dims pad{p.padding[0], p.padding[1]};
        if (bias.defined()) {
            memory::desc bd({out_ch}, memory::data_type::f32, tag::a);
            return {dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                    src, wd, bd, dst, strides, dil, pad, pad),
                    detail::engine()};
        }
        return {dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                                wd, dst, strides, dil, pad, pad),
                detail::engine()};
    }

    memory::desc any_weight_desc() const { return {weight_dims(), detail::dnnl_type(mode), tag::any}; }

    Entry& entry(int64_t N, int64_t H, int64_t W) {
        const auto key = std::make_tuple(N, H, W);
        auto it = by_shape.find(key);
        if (it != by_shape.end()) return it->second;
        Entry e;
        // Let oneDNN pick its best kernel for this shape; forcing the packed layout instead can land on
        // a reference kernel. When the kernel wants another layout, re-pack once for this shape.
        std::optional<dnnl::convolution_forward::primitive_desc> pd;
        pd.emplace(make_pd(N, H, W, any_weight_desc()));
        if (pd->weights_desc() == packed_desc) {
            e.weights = packed;
        } else {
            e.weights = memory(pd->weights_desc(), detail::engine());
            dnnl::reorder(packed, e.weights).execute(detail::stream(), packed, e.weights);
            detail::stream().wait();
            if (by_shape.empty()) {  // first real shape: it becomes the packed copy (one copy in memory)
                packed = e.weights;
                packed_desc = pd->weights_desc();
            }
        }
        e.prim = dnnl::convolution_forward(*pd);
        e.src_desc = pd->src_desc();
        e.dst_desc = pd->dst_desc();
        e.user_src = memory::desc({N, in_ch, H, W}, memory::data_type::f32, tag::nchw);
        e.user_dst = memory::desc(e.dst_desc.dims(), memory::data_type::f32, tag::nchw);
        e.src_plain = e.src_desc == e.user_src;
        e.dst_plain = e.dst_desc == e.user_dst;
        if (!e.src_plain) e.to_src.emplace(dnnl::reorder::primitive_desc(detail::engine(), e.user_src, detail::engine(), e.src_desc));
        if (!e.dst_plain) e.from_dst.emplace(dnnl::reorder::primitive_desc(detail::engine(), e.dst_desc, detail::engine(), e.user_dst));
        return by_shape.emplace(key, std::move(e)).first->second;
    }
};

PackedConv2d::PackedConv2d(const Tensor& weight, const Tensor& bias, const Conv2dParams& p, Compute mode) {
    check(weight.defined() && weight.dim() == 4, "conv2d", [&] {
        return "weight must be [Cout, Cin/groups, kh, kw], got " + (weight.defined() ? weight.describe() : std::string("undefined"));
    });
    check(p.groups > 0 && weight.size(0) % p.groups == 0, "conv2d", [&] {
        return "weight " + weight.describe() + ": " + std::to_string(weight.size(0)) + " output channels do not split into " +
               std::to_string(p.groups) + " groups";
    });
    for (int i = 0; i < 2; ++i)
        check(p.stride[i] >= 1 && p.dilation[i] >= 1 && p.padding[i] >= 0, "conv2d", [&] {
            return std::string("stride and dilation must be >= 1 and padding >= 0");
        });
    check(!bias.defined() || (bias.dim() == 1 && bias.numel() == weight.size(0)), "conv2d", [&] {
        return "bias " + bias.describe() + " does not match weight " + weight.describe();
    });
    auto im = std::make_shared<Impl>();
    im->out_ch = weight.size(0);
    im->in_ch = weight.size(1) * p.groups;
    im->kh = weight.size(2);
    im->kw = weight.size(3);
    im->p = p;
    im->mode = mode;
    if (bias.defined()) im->bias = bias.to(DType::F32);
    Tensor w = weight.to(DType::F32).contiguous();
    try {
        // Pack for a mid-sized NCHW input; other shapes reuse the layout when the kernel accepts it.
        const int64_t ref = std::max<int64_t>(32, std::max(im->kh, im->kw) * std::max(p.dilation[0], p.dilation[1]));
        auto pd = im->make_pd(1, ref, ref, im->any_weight_desc());
        im->packed_desc = pd.weights_desc();
        im->packed = memory(im->packed_desc, detail::engine());
        memory src = detail::wrap(w, im->user_weight_desc());
        dnnl::reorder(src, im->packed).execute(detail::stream(), src, im->packed);
        detail::stream().wait();
    } catch (const dnnl::error& e) {
        detail::rethrow_dnnl("conv2d", e, "weight " + weight.describe() + " (" + compute_name(mode) + ")");
    }
    impl_ = std::move(im);
}

int64_t PackedConv2d::in_channels() const { return impl_ ? impl_->in_ch : 0; }
int64_t PackedConv2d::out_channels() const { return impl_ ? impl_->out_ch : 0; }
const Conv2dParams& PackedConv2d::params() const {
    static const Conv2dParams none;
    return impl_ ? impl_->p : none;
}
Compute PackedConv2d::mode() const { return impl_ ? impl_->mode : Compute::F32; }

Tensor PackedConv2d::operator()(const Tensor& x0) const {
    check(impl_ != nullptr, "conv2d", [] { return std::string("empty PackedConv2d"); });
    Impl& im = *impl_;
    detail::check_f32(x0, "conv2d", "x", 4);
    check(x0.size(1) == im.in_ch, "conv2d", [&] {
        return "x " + x0.describe() + " has " + std::to_string(x0.size(1)) + " channels, the weight expects " +
               std::to_string(im.in_ch);
    });
    const int64_t N = x0.size(0), H = x0.size(2), W = x0.size(3);
    const int64_t OH = conv_out_size(H, im.kh, im.p.stride[0], im.p.padding[0], im.p.dilation[0]);
    const int64_t OW = conv_out_size(W, im.kw, im.p.stride[1], im.p.padding[1], im.p.dilation[1]);
    check(OH > 0 && OW > 0, "conv2d", [&] {
        return "x " + x0.describe() + " is smaller than the dilated " + std::to_string(im.kh) + "x" + std::to_string(im.kw) +
               " kernel";
    });
    Tensor out = detail::empty({N, im.out_ch, OH, OW});
    if (N == 0) return out;
    Tensor x = detail::dense(x0);
    try {
        std::lock_guard lock(im.mutex);
        Impl::Entry& e = im.entry(N, H, W);
        dnnl::stream& s = detail::stream();
        memory user_src = detail::wrap(x, e.user_src), user_dst = detail::wrap(out, e.user_dst);
        memory src = user_src, dst = user_dst;
        // Kernel-layout staging comes from the op buffer pool per call: kept per shape, as before,
        // it held two activation-sized buffers for every convolution and resolution (4 GB for an
        // SD1.5 VAE decode at 512x512).
        Tensor src_staging, dst_staging;
        if (!e.src_plain) {
            src_staging = detail::empty({int64_t(e.src_desc.get_size())}, DType::U8);
            src = memory(e.src_desc, detail::engine(), src_staging.data<uint8_t>());
            e.to_src->execute(s, user_src, src);
        }
        if (!e.dst_plain) {
            dst_staging = detail::empty({int64_t(e.dst_desc.get_size())}, DType::U8);
            dst = memory(e.dst_desc, detail::engine(), dst_staging.data<uint8_t>());
        }
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, e.weights}, {DNNL_ARG_DST, dst}};
        if (im.bias.defined())
            args.emplace(DNNL_ARG_BIAS, detail::wrap(im.bias, memory::desc({im.out_ch}, memory::data_type::f32, tag::a)));
        e.prim.execute(s, args);
        if (!e.dst_plain) e.from_dst->execute(s, dst, user_dst);
        s.wait();
    } catch (const dnnl::error& e) {
        detail::rethrow_dnnl("conv2d", e, "x " + x0.describe() + " (" + compute_name(im.mode) + ")");
    }
    return out;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p, Compute mode) {
    detail::check_f32(x, "conv2d", "x", 4);
    return PackedConv2d(weight, bias, p, mode)(x);
}

}  // namespace weft::ops
