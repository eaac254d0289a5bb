// matmul through a oneDNN matmul primitive on plain (strided) operands; linear layers through a
// matmul whose weight was reordered once into oneDNN's blocked layout (format_tag::any).
#include "matmul.h"

#include "dnnl_context.h"
#include "elementwise.h"
#include "ops_common.h"

#include <map>
#include <mutex>

namespace weft::ops {

using detail::check;
using dnnl::memory;
using tag = dnnl::memory::format_tag;

namespace {

// oneDNN's plain matmul wants unit stride along one of the two matrix dims.
Tensor matrix_ready(const Tensor& t) {
    const auto& s = t.strides();
    const int64_t n = t.dim();
    const bool ok = s[n - 1] == 1 || s[n - 2] == 1 || t.size(-1) == 1 || t.size(-2) == 1;
    return ok ? t : t.contiguous();
}

memory::dims dims_of(const Shape& s, size_t rank) {
    memory::dims d(rank - s.size(), 1);
    d.insert(d.end(), s.begin(), s.end());
    return d;
}

memory::dims strides_of(const Tensor& t, size_t rank) {
    memory::dims d(rank - t.strides().size(), t.numel());
    d.insert(d.end(), t.strides().begin(), t.strides().end());
    // Broadcast (size-1) dims: oneDNN ignores their stride, but keep them sane.
    return d;
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0, Compute mode) {
    detail::check_float(a0, "matmul", "a");
    detail::check_float(b0, "matmul", "b");
    check(a0.dim() >= 2 && b0.dim() >= 2 && a0.size(-1) == b0.size(-2), "matmul", [&] {
        return "cannot multiply " + a0.describe() + " by " + b0.describe();
    });
    const Shape ab(a0.shape().begin(), a0.shape().end() - 2), bb(b0.shape().begin(), b0.shape().end() - 2);
    Shape out_shape = broadcast_shapes(ab, bb, "matmul");
    const int64_t M = a0.size(-2), N = b0.size(-1), K = a0.size(-1);
    out_shape.push_back(M);
    out_shape.push_back(N);
    Tensor out = detail::empty(out_shape);
    if (out.numel() == 0) return out;
    if (K == 0) return Tensor::zeros(out_shape);

    auto ready = [mode](const Tensor& t) {
        return mode == Compute::F32 && t.dtype() == DType::F32 ? matrix_ready(t) : detail::as_compute(t, mode);
    };
    Tensor a = ready(a0), b = ready(b0);
    const size_t rank = out_shape.size();
    const auto dt = detail::dnnl_type(mode);
    try {
        memory::desc ad(dims_of(a.shape(), rank), dt, strides_of(a, rank));
        memory::desc bd(dims_of(b.shape(), rank), dt, strides_of(b, rank));
        memory::desc od(dims_of(out_shape, rank), memory::data_type::f32, strides_of(out, rank));
        dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, od), detail::engine());
        dnnl::matmul(pd).execute(detail::stream(), {{DNNL_ARG_SRC, detail::wrap(a, ad)},
                                                    {DNNL_ARG_WEIGHTS, detail::wrap(b, bd)},
                                                    {DNNL_ARG_DST, detail::wrap(out, od)}});
        detail::stream().wait();
    } catch (const dnnl::error& e) {
        detail::rethrow_dnnl("matmul", e, a0.describe() + " x " + b0.describe() + " (" + compute_name(mode) + ")");
    }
    return out;
}

struct PackedLinear::Impl {
    int64_t in = 0, out = 0;
    Compute mode = Compute::F32;
    Tensor bias;                      // F32 [out] or undefined
    memory::desc packed_desc;         // the layout `packed` is in
    memory packed;                    // the reordered weight
    struct Entry {
        dnnl::matmul prim;
        memory weights;               // `packed`, or a re-pack when this row count wanted another layout
    };
    std::mutex mutex;
    std::map<std::pair<int64_t, bool>, Entry> by_rows;  // (rows, adds a residual)

    memory::desc src_desc(int64_t M) const { return {{M, in}, detail::dnnl_type(mode), tag::ab}; }
    memory::desc dst_desc(int64_t M) const { return {{M, out}, memory::data_type::f32, tag::ab}; }
    memory::desc bias_desc() const { return {{1, out}, memory::data_type::f32, tag::ab}; }

    dnnl::matmul::primitive_desc make_pd(int64_t M, const memory::desc& wd, bool residual = false) const {
        dnnl::primitive_attr attr;
        if (residual) {
            // dst = x·Wᵀ + b + residual, the residual read in the kernel's epilogue.
            dnnl::post_ops po;
            po.append_binary(dnnl::algorithm::binary_add, dst_desc(M));
            attr.set_post_ops(po);
        }
        if (bias.defined())
            return {dnnl::matmul::desc(src_desc(M), wd, bias_desc(), dst_desc(M)), attr, detail::engine()};
        return {dnnl::matmul::desc(src_desc(M), wd, dst_desc(M)), attr, detail::engine()};
    }

    // Reorders the F32 [out, in] source weight into `desc`.
    memory pack(const Tensor& w_f32, const memory::desc& desc) const {
        memory::desc user({in, out}, memory::data_type::f32, tag::ba);
        memory dst(desc, detail::engine());
        memory src = detail::wrap(w_f32, user);
        dnnl::reorder(src, dst).execute(detail::stream(), src, dst);
        detail::stream().wait();
        return dst;
    }

    Entry& entry(int64_t M, bool residual) {
        auto it = by_rows.find({M, residual});
        if (it != by_rows.end()) return it->second;
        // oneDNN's own choice for this row count; forcing the packed layout could select a slow
        // kernel. A different preferred layout (tiny M) gets a one-time re-pack.
        auto pd = make_pd(M, memory::desc({in, out}, detail::dnnl_type(mode), tag::any), residual);
        Entry e{dnnl::matmul(pd), packed};
        if (pd.weights_desc() != packed_desc) {
            e.weights = memory(pd.weights_desc(), detail::engine());
            dnnl::reorder(packed, e.weights).execute(detail::stream(), packed, e.weights);
            detail::stream().wait();
            if (by_rows.empty()) {  // first real row count: it becomes the packed copy
                packed = e.weights;
                packed_desc = pd.weights_desc();
            }
        }
        return by_rows.emplace(std::make_pair(M, residual), std::move(e)).first->second;
    }
};

PackedLinear::PackedLinear(const Tensor& weight, const Tensor& bias, Compute mode) {
    check(weight.defined() && weight.dim() == 2, "linear", [&] {
        return "weight must be [out, in], got " + (weight.defined() ? weight.describe() : std::string("undefined"));
    });
    auto impl = std::make_shared<Impl>();
    impl->out = weight.size(0);
    impl->in = weight.size(1);
    impl->mode = mode;
    check(!bias.defined() || (bias.numel() == impl->out && bias.dim() == 1), "linear", [&] {
        return "bias " + bias.describe() + " does not match weight " + weight.describe();
    });
    if (bias.defined()) impl->bias = bias.to(DType::F32);
    Tensor w = weight.to(DType::F32).contiguous();
    try {
        // Pack for a large row count (the kernels' layout does not depend on it; small counts that
        // disagree get their own copy in entry()).
        auto pd = impl->make_pd(4096, memory::desc({impl->in, impl->out}, detail::dnnl_type(mode), tag::any));
        impl->packed_desc = pd.weights_desc();
        impl->packed = impl->pack(w, impl->packed_desc);
    } catch (const dnnl::error& e) {
        detail::rethrow_dnnl("linear", e, "weight " + weight.describe() + " (" + compute_name(mode) + ")");
    }
    impl_ = std::move(impl);
}

int64_t PackedLinear::in_features() const { return impl_ ? impl_->in : 0; }
int64_t PackedLinear::out_features() const { return impl_ ? impl_->out : 0; }
Compute PackedLinear::mode() const { return impl_ ? impl_->mode : Compute::F32; }

Tensor PackedLinear::operator()(const Tensor& x) const { return run(x, Tensor()); }

Tensor PackedLinear::operator()(const Tensor& x, const Tensor& residual) const {
    check(residual.defined(), "linear", [] { return std::string("residual is undefined"); });
    return run(x, residual);
}

Tensor PackedLinear::run(const Tensor& x, const Tensor& residual) const {
    check(impl_ != nullptr, "linear", [] { return std::string("empty PackedLinear"); });
    Impl& im = *impl_;
    detail::check_float(x, "linear", "x");
    check(x.dim() >= 1 && x.size(-1) == im.in, "linear", [&] {
        return "x " + x.describe() + " does not end in " + std::to_string(im.in) + " features (weight [" +
               std::to_string(im.out) + ", " + std::to_string(im.in) + "])";
    });
    Shape out_shape = x.shape();
    out_shape.back() = im.out;
    if (residual.defined()) {
        detail::check_f32(residual, "linear", "residual");
        check(residual.shape() == out_shape, "linear", [&] {
            return "residual " + residual.describe() + " does not match the output " + shape_string(out_shape);
        });
    }
    Tensor out = detail::empty(out_shape);
    const int64_t M = im.in == 0 ? 0 : x.numel() / im.in;
    if (M == 0) return out;
    Tensor src = detail::as_compute(x, im.mode);
    Tensor res = residual.defined() ? detail::dense(residual) : Tensor();
    try {
        std::lock_guard lock(im.mutex);
        Impl::Entry& e = im.entry(M, res.defined());
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, detail::wrap(src, im.src_desc(M))},
                                             {DNNL_ARG_WEIGHTS, e.weights},
                                             {DNNL_ARG_DST, detail::wrap(out, im.dst_desc(M))}};
        if (im.bias.defined()) args.emplace(DNNL_ARG_BIAS, detail::wrap(im.bias, im.bias_desc()));
        if (res.defined())
            args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, detail::wrap(res, im.dst_desc(M)));
        e.prim.execute(detail::stream(), args);
        detail::stream().wait();
    } catch (const dnnl::error& e) {
        detail::rethrow_dnnl("linear", e, "x " + x.describe() + " (" + compute_name(im.mode) + ")");
    }
    return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Compute mode) {
    return PackedLinear(weight, bias, mode)(x);
}

}  // namespace weft::ops
