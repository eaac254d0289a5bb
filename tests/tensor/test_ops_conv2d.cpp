#include "ops_test_util.h"

#include "tensor/ops/conv2d.h"
#include "tensor/ops/reference.h"

#include <weft/error.h>

#include <algorithm>
#include <cmath>
#include <sstream>

using namespace weft;
using weft::ops::Compute;
using weft::ops_test::random;

namespace {

struct ConvCase {
    int64_t n, cin, cout, h, w, k, stride, pad, dil, groups;
    bool bias;
    Compute mode;
};

std::string name(const ConvCase& c) {
    std::ostringstream s;
    s << "n" << c.n << "_c" << c.cin << "to" << c.cout << "_" << c.h << "x" << c.w << "_k" << c.k << "_s" << c.stride
      << "_p" << c.pad << "_d" << c.dil << "_g" << c.groups << (c.bias ? "_bias_" : "_nobias_") << ops::compute_name(c.mode);
    return s.str();
}

ops::Conv2dParams params(const ConvCase& c) {
    ops::Conv2dParams p;
    p.stride = {c.stride, c.stride};
    p.padding = {c.pad, c.pad};
    p.dilation = {c.dil, c.dil};
    p.groups = c.groups;
    return p;
}

class OpsConv2d : public ::testing::TestWithParam<ConvCase> {};

TEST_P(OpsConv2d, MatchesReference) {
    const ConvCase& c = GetParam();
    Tensor x = random({c.n, c.cin, c.h, c.w}, 201);
    Tensor w = random({c.cout, c.cin / c.groups, c.k, c.k}, 202);
    Tensor b = c.bias ? random({c.cout}, 203) : Tensor();
    const ops::Conv2dParams p = params(c);
    const double tol = c.mode == Compute::BF16 ? ops_test::kTolBF16 : ops_test::kTolF32;
    Tensor ref = ops::ref::conv2d(x, w, b, p);
    EXPECT_CLOSE(ops::conv2d(x, w, b, p, c.mode), ref, tol);
    // A packed conv reused across input sizes (cached primitive per shape).
    ops::PackedConv2d conv(w, b, p, c.mode);
    EXPECT_CLOSE(conv(x), ref, tol);
    Tensor x2 = random({1, c.cin, c.h + 3, c.w + 1}, 204);
    EXPECT_CLOSE(conv(x2), ops::ref::conv2d(x2, w, b, p), tol);
    EXPECT_CLOSE(conv(x), ref, tol);
}

// Restores the default band size when a test ends.
struct BandBytes {
    explicit BandBytes(int64_t bytes) { ops::set_conv2d_band_bytes(bytes); }
    ~BandBytes() { ops::set_conv2d_band_bytes(0); }
};

double max_abs_diff(const Tensor& a, const Tensor& b) {
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, double(std::fabs(a.data<float>()[i] - b.data<float>()[i])));
    return m;
}

// Bands of 4 output rows (the smallest) give what one piece gives, from the whole input and from a
// producer of rows; the producer is asked for each band's rows plus the halo, never more.
TEST_P(OpsConv2d, BandsMatchOnePiece) {
    const ConvCase& c = GetParam();
    Tensor x = random({c.n, c.cin, c.h + 9, c.w}, 205);
    Tensor w = random({c.cout, c.cin / c.groups, c.k, c.k}, 206);
    Tensor b = c.bias ? random({c.cout}, 207) : Tensor();
    const ops::Conv2dParams p = params(c);
    ops::PackedConv2d conv(w, b, p, c.mode);
    const Tensor whole = conv(x);
    BandBytes tiny(1);
    const Tensor banded = conv(x);
    ASSERT_EQ(banded.shape(), whole.shape());
    EXPECT_LE(max_abs_diff(banded, whole), 1e-6);
    const int64_t H = x.size(2), W = x.size(3), plane = H * W;
    int64_t calls = 0, rows_read = 0;
    const Tensor produced = conv(x.shape(), [&](int64_t r0, int64_t r1, Tensor& band) {
        ASSERT_TRUE(0 <= r0 && r0 < r1 && r1 <= H);
        ASSERT_EQ(band.shape(), (Shape{c.n, c.cin, r1 - r0, W}));
        for (int64_t nc = 0; nc < c.n * c.cin; ++nc)
            std::copy_n(x.data<float>() + nc * plane + r0 * W, (r1 - r0) * W, band.data<float>() + nc * (r1 - r0) * W);
        ++calls;
        rows_read += r1 - r0;
    }, false);
    EXPECT_LE(max_abs_diff(produced, whole), 1e-6);
    const int64_t OH = whole.size(2), eff_k = c.dil * (c.k - 1) + 1;
    EXPECT_EQ(calls, (OH + 3) / 4);
    EXPECT_LE(rows_read, calls * (3 * c.stride + eff_k));
    EXPECT_CLOSE(banded, ops::ref::conv2d(x, w, b, p), c.mode == Compute::BF16 ? ops_test::kTolBF16 : ops_test::kTolF32);
}

std::vector<ConvCase> cases() {
    std::vector<ConvCase> v;
    for (Compute m : {Compute::F32, Compute::BF16}) {
        v.push_back({1, 4, 32, 9, 9, 3, 1, 1, 1, 1, true, m});      // first UNet conv shape family
        v.push_back({2, 16, 24, 11, 7, 3, 1, 1, 1, 1, true, m});    // batch 2, non-square
        v.push_back({1, 32, 32, 13, 13, 3, 2, 1, 1, 1, true, m});   // stride-2 downsample
        v.push_back({1, 16, 16, 10, 10, 3, 2, 0, 1, 1, false, m});  // VAE downsample (pad 0)
        v.push_back({2, 24, 40, 8, 6, 1, 1, 0, 1, 1, true, m});     // 1x1 projection
        v.push_back({1, 12, 18, 15, 11, 3, 1, 2, 2, 1, true, m});   // dilation 2
        v.push_back({2, 12, 18, 9, 9, 3, 1, 1, 1, 3, true, m});     // groups 3
        v.push_back({1, 16, 16, 9, 8, 3, 1, 1, 1, 16, false, m});   // depthwise
        v.push_back({1, 3, 5, 7, 9, 5, 2, 2, 1, 1, true, m});       // 5x5, odd everything
    }
    return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, OpsConv2d, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return name(info.param); });

TEST(OpsConv2dErrors, ShapesAreChecked) {
    Tensor w = random({8, 4, 3, 3}, 1);
    EXPECT_THROW(ops::conv2d(random({1, 5, 8, 8}, 2), w, Tensor()), Error);     // channel mismatch
    EXPECT_THROW(ops::conv2d(random({5, 8, 8}, 2), w, Tensor()), Error);        // not NCHW
    EXPECT_THROW(ops::conv2d(random({1, 4, 2, 2}, 2), w, Tensor()), Error);     // smaller than kernel
    EXPECT_THROW(ops::conv2d(random({1, 4, 8, 8}, 2), w, random({7}, 3)), Error);  // bias size
    ops::Conv2dParams g;
    g.groups = 3;
    EXPECT_THROW(ops::PackedConv2d(w, Tensor(), g), Error);                      // 8 % 3
    try {
        ops::conv2d(random({1, 5, 8, 8}, 2), w, Tensor());
        FAIL();
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("conv2d"), std::string::npos) << m;
        EXPECT_NE(m.find("[1, 5, 8, 8]"), std::string::npos) << m;
    }
}

}  // namespace
