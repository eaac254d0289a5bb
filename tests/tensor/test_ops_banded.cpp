// The pieces of a banded convolution (tensor/ops/conv2d.cpp): producers of input rows (a fused
// group norm, a fused nearest upsampling), channels-last activations, BF16 maps and their residual
// sums. Each must give what the whole-tensor ops give, in every layout and dtype.
#include "ops_test_util.h"

#include "tensor/ops/conv2d.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/layout.h"
#include "tensor/ops/norm.h"
#include "tensor/ops/ops_common.h"

#include <weft/error.h>

#include <cmath>

using namespace weft;
using weft::ops_test::random;

namespace {

// [N, C, H, W] values laid out channels-last (a copy).
Tensor channels_last(const Tensor& x) { return x.permute({0, 2, 3, 1}).contiguous().permute({0, 3, 1, 2}); }

// `x` widened to F32 and laid out NCHW: what the whole-tensor ops take.
Tensor plain(const Tensor& x) { return x.to(DType::F32).contiguous(); }

double max_diff(const Tensor& a, const Tensor& b) {
    const Tensor pa = plain(a), pb = plain(b);
    EXPECT_EQ(pa.shape(), pb.shape());
    double m = 0;
    for (int64_t i = 0; i < pa.numel(); ++i) m = std::max(m, double(std::fabs(pa.data<float>()[i] - pb.data<float>()[i])));
    return m;
}

// Rows [0, H) of a producer gathered band by band (uneven bands) into one tensor.
template <class Rows> Tensor gather(const Rows& rows, bool cl) {
    const Shape s = rows.shape();
    Tensor all = Tensor::zeros(s);
    for (int64_t r0 = 0, step = 1; r0 < s[2]; r0 += step, step += 2) {
        const int64_t r1 = std::min(s[2], r0 + step);
        const Shape bs{s[0], s[1], r1 - r0, s[3]};
        Tensor band = cl ? Tensor::zeros({bs[0], bs[2], bs[3], bs[1]}).permute({0, 3, 1, 2}) : Tensor::zeros(bs);
        rows(r0, r1, band);
        for (int64_t n = 0; n < s[0]; ++n)
            for (int64_t c = 0; c < s[1]; ++c)
                for (int64_t y = r0; y < r1; ++y)
                    for (int64_t x = 0; x < s[3]; ++x) {
                        const auto& st = band.strides();
                        all.data<float>()[((n * s[1] + c) * s[2] + y) * s[3] + x] =
                            band.data<float>()[n * st[0] + c * st[1] + (y - r0) * st[2] + x * st[3]];
                    }
    }
    return all;
}

struct Variant {
    bool cl;
    DType dtype;
};
const Variant kVariants[] = {{false, DType::F32}, {true, DType::F32}, {false, DType::BF16}, {true, DType::BF16}};

Tensor make(const Tensor& x, const Variant& v) {
    const Tensor t = x.to(v.dtype);
    return v.cl ? channels_last(t) : t;
}

TEST(OpsBanded, GroupNormRowsMatchTheWholeOp) {
    const Tensor x0 = ops::add(random({2, 16, 11, 9}, 31, -2.0f, 2.0f), 3.0f);  // mean far from 0
    const Tensor w = random({16}, 32), b = random({16}, 33);
    for (const Variant& v : kVariants)
        for (bool silu : {false, true}) {
            const Tensor x = make(x0, v);
            ASSERT_EQ(ops::detail::is_channels_last(x) && !x.is_contiguous(), v.cl);
            const ops::GroupNormRows rows(x, 4, w, b, 1e-5f, silu);
            EXPECT_EQ(rows.channels_last(), v.cl);
            const Tensor whole = silu ? ops::group_norm_silu(plain(x), 4, w, b, 1e-5f) : ops::group_norm(plain(x), 4, w, b, 1e-5f);
            EXPECT_LE(max_diff(gather(rows, v.cl), whole), 2e-5) << "cl " << v.cl << " " << dtype_name(v.dtype) << " silu " << silu;
        }
}

TEST(OpsBanded, GroupNormRowsRejectABandOfTheWrongLayout) {
    const Tensor x = channels_last(random({1, 8, 6, 6}, 34));
    const ops::GroupNormRows rows(x, 2, Tensor(), Tensor(), 1e-5f, true);
    Tensor nchw_band = Tensor::zeros({1, 8, 2, 6});
    EXPECT_THROW(rows(0, 2, nchw_band), Error);
    Tensor short_band = Tensor::zeros({1, 2, 6, 8}).permute({0, 3, 1, 2});
    EXPECT_THROW(rows(0, 3, short_band), Error);
}

TEST(OpsBanded, UpsampleRowsMatchTheWholeOp) {
    const Tensor x0 = random({2, 5, 7, 6}, 35);
    for (const Variant& v : kVariants)
        for (const auto& [oh, ow] : {std::pair<int64_t, int64_t>{14, 12}, {17, 10}}) {
            const ops::UpsampleNearestRows rows(make(x0, v), oh, ow);
            EXPECT_EQ(rows.shape(), (Shape{2, 5, oh, ow}));
            EXPECT_EQ(max_diff(gather(rows, v.cl), ops::upsample_nearest(plain(make(x0, v)), oh, ow)), 0.0)
                << "cl " << v.cl << " " << dtype_name(v.dtype) << " " << oh << "x" << ow;
        }
}

// Every input layout and dtype, every output layout and dtype: the same convolution, banded or not.
TEST(OpsBanded, ConvolutionReadsAndWritesEveryLayout) {
    const Tensor x0 = random({2, 16, 19, 13}, 36);
    ops::Conv2dParams p;
    p.padding = {1, 1};
    for (ops::Compute mode : {ops::Compute::F32, ops::Compute::BF16}) {
        ops::PackedConv2d conv(random({24, 16, 3, 3}, 37), random({24}, 38), p, mode);
        const Tensor ref = conv(x0.to(mode == ops::Compute::BF16 ? DType::BF16 : DType::F32).to(DType::F32));
        const double tol = mode == ops::Compute::BF16 ? 0.05 : 1e-5;
        for (int64_t band_bytes : {int64_t(0), int64_t(1)}) {
            ops::set_conv2d_band_bytes(band_bytes);
            for (const Variant& v : kVariants)
                for (bool out_cl : {false, true})
                    for (DType out : {DType::F32, DType::BF16}) {
                        const Tensor y = conv(make(x0, v), out, out_cl);
                        EXPECT_EQ(y.dtype(), out);
                        EXPECT_EQ(ops::detail::is_channels_last(y) && !y.is_contiguous(), out_cl);
                        EXPECT_LE(max_diff(y, ref), out == DType::BF16 || v.dtype == DType::BF16 ? tol + 0.05 : tol)
                            << ops::compute_name(mode) << " in cl " << v.cl << " " << dtype_name(v.dtype) << " out cl " << out_cl << " "
                            << dtype_name(out) << " bands " << band_bytes;
                    }
            // A channels-last producer of rows.
            const Tensor x_cl = channels_last(x0);
            const ops::UpsampleNearestRows same(x_cl, 19, 13);  // a 1x "upsampling": rows of x as they are
            EXPECT_LE(max_diff(conv(same.shape(), same, true, DType::F32, true), conv(x0)), 1e-6);
        }
        ops::set_conv2d_band_bytes(0);
    }
}

TEST(OpsBanded, ResidualSumsInEveryLayoutAndDtype) {
    const Tensor a0 = random({2, 6, 5, 4}, 39), b0 = random({2, 6, 5, 4}, 40);
    for (const Variant& va : kVariants)
        for (const Variant& vb : kVariants)
            for (DType out : {DType::F32, DType::BF16}) {
                const Tensor a = make(a0, va), b = make(b0, vb);
                const Tensor sum = ops::add(a, b, out);
                EXPECT_EQ(sum.dtype(), out);
                EXPECT_EQ(ops::detail::is_channels_last(sum) && !sum.is_contiguous(), va.cl && vb.cl);
                const double tol = out == DType::BF16 ? 2e-2 : 1e-6;
                EXPECT_LE(max_diff(sum, ops::add(plain(a), plain(b))), tol);
            }
    EXPECT_THROW(ops::add(a0, random({2, 6, 5, 3}, 41), DType::F32), Error);
    EXPECT_THROW(ops::add(a0, b0, DType::F16), Error);
}

}  // namespace
