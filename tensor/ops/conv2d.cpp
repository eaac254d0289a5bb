// conv2d through oneDNN's direct convolution. The weight is reordered once into the kernel's
// preferred layout; per input shape a primitive is cached together with the reorders that bring the
// NCHW F32 activation into the kernel's layout (and dtype) and the result back to NCHW.
//
// Large inputs run in bands of output rows (each band reads its rows of the input plus the kernel's
// halo, with the padding of the edge it touches), so the kernel-layout copies of input and output
// stay a few MiB instead of the size of the activations: at 512x512 a VAE decoder's 256-channel map
// is 256 MiB in F32, and its staging copies were another 384 MiB at the decode's peak. A band's
// output pixels are computed by the same kernel over the same window as without bands.
#include "conv2d.h"

#include "dnnl_context.h"
#include "ops_common.h"

#include "core/convert.h"

#include <algorithm>
#include <atomic>
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

namespace {

memory::data_type dnnl_dtype(DType t) { return t == DType::BF16 ? memory::data_type::bf16 : memory::data_type::f32; }

}  // namespace

struct PackedConv2d::Impl {
    int64_t out_ch = 0, in_ch = 0, kh = 0, kw = 0;
    Conv2dParams p;
    Compute mode = Compute::F32;
    Tensor bias;                 // F32 [out_ch] or undefined
    memory::desc packed_desc;
    memory packed;

    // One cached primitive per band geometry: the band's input rows, its top and bottom padding,
    // the heights of the full input and output its NCHW views stride over, and their dtypes.
    struct Geometry {
        int64_t n, h, w, pad_top, pad_bottom, src_rows, dst_rows;
        DType src_type, dst_type;
        bool src_channels_last, dst_channels_last;
        auto operator<=>(const Geometry&) const = default;
    };
    struct Entry {
        dnnl::convolution_forward prim;
        memory weights;          // `packed` or a re-pack for this shape
        memory::desc src_desc, dst_desc;
        bool src_plain = false, dst_plain = false;   // kernel works on the NCHW views directly
        std::optional<dnnl::reorder> to_src, from_dst;
        memory::desc user_src, user_dst;
    };
    std::mutex mutex;
    std::map<Geometry, Entry> by_shape;

    int64_t effective_kh() const { return p.dilation[0] * (kh - 1) + 1; }

    memory::dims weight_dims() const {
        if (p.groups == 1) return {out_ch, in_ch, kh, kw};
        return {p.groups, out_ch / p.groups, in_ch / p.groups, kh, kw};
    }
    memory::desc user_weight_desc() const {
        return {weight_dims(), memory::data_type::f32, p.groups == 1 ? tag::oihw : tag::goihw};
    }

    dnnl::convolution_forward::primitive_desc make_pd(int64_t N, int64_t H, int64_t W, const memory::desc& wd, int64_t pad_top,
                                                      int64_t pad_bottom, DType dst_type = DType::F32) const {
        const int64_t OH = (H + pad_top + pad_bottom - effective_kh()) / p.stride[0] + 1;
        const int64_t OW = conv_out_size(W, kw, p.stride[1], p.padding[1], p.dilation[1]);
        memory::desc src({N, in_ch, H, W}, detail::dnnl_type(mode), tag::any);
        memory::desc dst({N, out_ch, OH, OW}, dnnl_dtype(dst_type), tag::any);
        memory::dims strides{p.stride[0], p.stride[1]}, dil{p.dilation[0] - 1, p.dilation[1] - 1};
        memory::dims pad_l{pad_top, p.padding[1]}, pad_r{pad_bottom, p.padding[1]};
        if (bias.defined()) {
            memory::desc bd({out_ch}, memory::data_type::f32, tag::a);
            return {dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                                    src, wd, bd, dst, strides, dil, pad_l, pad_r),
                    detail::engine()};
        }
        return {dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                                wd, dst, strides, dil, pad_l, pad_r),
                detail::engine()};
    }

    memory::desc any_weight_desc() const { return {weight_dims(), detail::dnnl_type(mode), tag::any}; }

    Entry& entry(const Geometry& g) {
        auto it = by_shape.find(g);
        if (it != by_shape.end()) return it->second;
        Entry e;
        // Let oneDNN pick its best kernel for this shape; forcing the packed layout instead can land on
        // a reference kernel. When the kernel wants another layout, re-pack once for this shape.
        std::optional<dnnl::convolution_forward::primitive_desc> pd;
        pd.emplace(make_pd(g.n, g.h, g.w, any_weight_desc(), g.pad_top, g.pad_bottom, g.dst_type));
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
        // Views into the whole input and output (NCHW or channels-last): a band is `h` of the input's
        // `src_rows` rows.
        const memory::dims dst_dims = e.dst_desc.dims();
        const int64_t OW = dst_dims[3];
        auto strides = [](int64_t c, int64_t rows, int64_t w, bool channels_last) {
            return channels_last ? memory::dims{c * rows * w, 1, w * c, c} : memory::dims{c * rows * w, rows * w, w, 1};
        };
        e.user_src = memory::desc({g.n, in_ch, g.h, g.w}, dnnl_dtype(g.src_type), strides(in_ch, g.src_rows, g.w, g.src_channels_last));
        e.user_dst = memory::desc(dst_dims, dnnl_dtype(g.dst_type), strides(out_ch, g.dst_rows, OW, g.dst_channels_last));
        e.src_plain = e.src_desc == e.user_src;
        e.dst_plain = e.dst_desc == e.user_dst;
        if (!e.src_plain) e.to_src.emplace(dnnl::reorder::primitive_desc(detail::engine(), e.user_src, detail::engine(), e.src_desc));
        if (!e.dst_plain) e.from_dst.emplace(dnnl::reorder::primitive_desc(detail::engine(), e.dst_desc, detail::engine(), e.user_dst));
        return by_shape.emplace(g, std::move(e)).first->second;
    }

    /// Runs one band: `src` points at its first input row inside an NCHW buffer of g.src_rows rows,
    /// `dst` at its first output row inside the output of g.dst_rows rows.
    void run_band(const Geometry& g, const void* src_rows, void* dst_rows) {
        std::lock_guard lock(mutex);
        Entry& e = entry(g);
        dnnl::stream& s = detail::stream();
        memory user_src(e.user_src, detail::engine(), const_cast<void*>(src_rows));
        memory user_dst(e.user_dst, detail::engine(), dst_rows);
        memory src = user_src, dst = user_dst;
        // Kernel-layout staging comes from the op buffer pool per call (kept per shape, it held two
        // activation-sized buffers for every convolution and resolution).
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
        if (bias.defined()) args.emplace(DNNL_ARG_BIAS, detail::wrap(bias, memory::desc({out_ch}, memory::data_type::f32, tag::a)));
        e.prim.execute(s, args);
        if (!e.dst_plain) e.from_dst->execute(s, dst, user_dst);
        s.wait();
    }
};

namespace {

// Input bytes (F32) a band reads at most; below twice this a convolution runs in one piece.
constexpr int64_t kDefaultBandBytes = int64_t(16) << 20;
std::atomic<int64_t> band_bytes{kDefaultBandBytes};

struct Band {
    int64_t out0, out1;          // output rows [out0, out1)
    int64_t in0, in1;            // input rows read
    int64_t pad_top, pad_bottom;
};

// Output rows split into bands whose input (with halo) stays near kBandBytes; one band when the
// input is small or a band would fall wholly into the padding.
std::vector<Band> plan_bands(int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH, int64_t stride, int64_t pad,
                             int64_t eff_k) {
    const int64_t row_bytes = N * C * W * int64_t(sizeof(float)), budget = band_bytes.load();  // as F32, whatever the dtype
    int64_t rows = OH;
    if (row_bytes * H > 2 * budget) rows = std::max<int64_t>(4, (budget / row_bytes - eff_k) / stride + 1);
    std::vector<Band> bands;
    for (int64_t o0 = 0; o0 < OH; o0 += rows) {
        const int64_t o1 = std::min(OH, o0 + rows);
        const int64_t lo = o0 * stride - pad, hi = (o1 - 1) * stride - pad + eff_k;
        const int64_t in0 = std::max<int64_t>(0, lo), in1 = std::min(H, hi);
        if (in1 <= in0) return {Band{0, OH, 0, H, pad, pad}};
        bands.push_back({o0, o1, in0, in1, in0 - lo, hi - in1});
    }
    return bands;
}

}  // namespace

void set_conv2d_band_bytes(int64_t bytes) { band_bytes = bytes > 0 ? bytes : kDefaultBandBytes; }

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
        auto pd = im->make_pd(1, ref, ref, im->any_weight_desc(), p.padding[0], p.padding[0]);
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

namespace {

void check_out_type(DType out) {
    check(out == DType::F32 || out == DType::BF16, "conv2d", [&] { return std::string("output dtype must be F32 or BF16, got ") + dtype_name(out); });
}

}  // namespace

Tensor PackedConv2d::operator()(const Tensor& x0, DType out, bool out_channels_last) const {
    check(impl_ != nullptr, "conv2d", [] { return std::string("empty PackedConv2d"); });
    detail::check_float(x0, "conv2d", "x", 4);
    check_out_type(out);
    // The F32 kernels take F32 only; BF16 kernels read either. NCHW and channels-last are read as
    // they are; other strides are copied to NCHW.
    const Tensor x = impl_->mode == Compute::F32 && x0.dtype() != DType::F32 ? x0.to(DType::F32)
                     : detail::is_channels_last(x0)                           ? x0
                                                                              : detail::dense(x0);
    const bool channels_last = detail::is_channels_last(x) && !x.is_contiguous();
    const size_t row = size_t(x.size(3) * (channels_last ? x.size(1) : 1)) * (x.dtype() == DType::BF16 ? 2 : 4);
    return run(x.shape(), x.dtype(), channels_last, out, out_channels_last,
               [&](int64_t r0, int64_t, Tensor*) -> const void* { return x.raw_data() + size_t(r0) * row; });
}

Tensor PackedConv2d::operator()(const Shape& input, const InputRows& rows, bool channels_last, DType out, bool out_channels_last) const {
    check(impl_ != nullptr, "conv2d", [] { return std::string("empty PackedConv2d"); });
    check(input.size() == 4, "conv2d", [&] { return "input shape must be [N, C, H, W], got " + shape_string(input); });
    check_out_type(out);
    return run(input, DType::F32, channels_last, out, out_channels_last, [&](int64_t r0, int64_t r1, Tensor* band) -> const void* {
        const Shape shape{input[0], input[1], r1 - r0, input[3]};
        *band = channels_last ? detail::empty_channels_last(shape) : detail::empty(shape);
        rows(r0, r1, *band);
        return band->raw_data();
    });
}

Tensor PackedConv2d::run(const Shape& in, DType in_type, bool in_channels_last, DType out_type, bool out_channels_last,
                         const BandSource& source) const {
    Impl& im = *impl_;
    const int64_t N = in[0], H = in[2], W = in[3];
    auto describe = [&] { return "x " + shape_string(in); };
    check(in[1] == im.in_ch, "conv2d", [&] {
        return describe() + " has " + std::to_string(in[1]) + " channels, the weight expects " + std::to_string(im.in_ch);
    });
    const int64_t OH = conv_out_size(H, im.kh, im.p.stride[0], im.p.padding[0], im.p.dilation[0]);
    const int64_t OW = conv_out_size(W, im.kw, im.p.stride[1], im.p.padding[1], im.p.dilation[1]);
    check(OH > 0 && OW > 0, "conv2d", [&] {
        return describe() + " is smaller than the dilated " + std::to_string(im.kh) + "x" + std::to_string(im.kw) + " kernel";
    });
    // F32 kernels write F32; a BF16 result is rounded after.
    const DType kernel_out = im.mode == Compute::BF16 ? out_type : DType::F32;
    Tensor out = out_channels_last ? detail::empty_channels_last({N, im.out_ch, OH, OW}, kernel_out)
                                   : detail::empty({N, im.out_ch, OH, OW}, kernel_out);
    if (N == 0) return out.to(out_type);
    const std::vector<Band> bands = plan_bands(N, im.in_ch, H, W, OH, im.p.stride[0], im.p.padding[0], im.effective_kh());
    const size_t out_row = size_t(OW * (out_channels_last ? im.out_ch : 1)) * (kernel_out == DType::BF16 ? 2 : 4);
    try {
        for (const Band& b : bands) {
            Tensor band;   // the producer's rows, when the input is not held whole
            const void* src = source(b.in0, b.in1, &band);
            const int64_t src_rows = band.defined() ? b.in1 - b.in0 : H;
            im.run_band({N, b.in1 - b.in0, W, b.pad_top, b.pad_bottom, src_rows, OH, band.defined() ? band.dtype() : in_type, kernel_out,
                         in_channels_last, out_channels_last},
                        src, out.raw_data() + size_t(b.out0) * out_row);
        }
    } catch (const dnnl::error& e) {
        detail::rethrow_dnnl("conv2d", e, describe() + " (" + compute_name(im.mode) + ")");
    }
    if (kernel_out == out_type) return out;
    // F32 kernel, BF16 wanted: round, keeping the layout.
    Tensor rounded = out_channels_last ? detail::empty_channels_last(out.shape(), out_type) : detail::empty(out.shape(), out_type);
    convert_f32_to_bf16(std::span<const float>(out.data<float>(), size_t(out.numel())),
                        std::span<uint16_t>(rounded.data<uint16_t>(), size_t(out.numel())));
    return rounded;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p, Compute mode) {
    detail::check_f32(x, "conv2d", "x", 4);
    return PackedConv2d(weight, bias, p, mode)(x);
}

}  // namespace weft::ops
