// LoadImage / LoadImageMask: PNG (alpha, gray), JPEG (EXIF orientation), WebP (still, lossless
// alpha, animated), corrupt and missing files, the combo list and the content fingerprint.
#include "single_node_runner.h"
#include "node_test_util.h"
#include "media/png_io.h"

#include <gtest/gtest.h>

#include <jpeglib.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <cstdio>
#include <fstream>

using namespace weft;
using namespace weft::testing;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// RGB JPEG of `rgb` (w*h*3), quality 95, optionally with an EXIF Orientation tag.
std::string encode_jpeg(const std::vector<uint8_t>& rgb, int w, int h, int orientation = 0) {
    jpeg_compress_struct c;
    jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = JDIMENSION(w);
    c.image_height = JDIMENSION(h);
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    if (orientation) {
        // "Exif\0\0", big-endian TIFF header, IFD0 with one SHORT entry: Orientation.
        const uint8_t exif[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                                0, uint8_t(orientation), 0, 0, 0, 0, 0, 0};
        jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
    }
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = const_cast<uint8_t*>(rgb.data()) + size_t(c.next_scanline) * size_t(w) * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    std::string out(reinterpret_cast<char*>(buf), size);
    jpeg_destroy_compress(&c);
    std::free(buf);
    return out;
}

// Left half red, right half blue.
std::vector<uint8_t> halves(int w, int h) {
    std::vector<uint8_t> v(size_t(w * h * 3), 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) v[size_t((y * w + x) * 3 + (x < w / 2 ? 0 : 2))] = 255;
    return v;
}

class LoadImageTest : public ::testing::Test {
protected:
    LoadImageTest() : dir_("loadimage") {
        opts_.folders.input = dir_.path / "input";
        opts_.folders.output = dir_.path / "output";
        opts_.folders.temp = dir_.path / "temp";
        fs::create_directories(opts_.folders.input);
    }
    fs::path in(const std::string& name) const { return opts_.folders.input / name; }
    SingleNodeRunner& runner() {
        if (!runner_) runner_ = std::make_unique<SingleNodeRunner>(opts_);
        return *runner_;
    }
    NodeRun load(const std::string& name) { return runner().run("LoadImage", {{"image", name}}); }

    TempDir dir_;
    SessionOptions opts_;
    std::unique_ptr<SingleNodeRunner> runner_;
};

float px(const Tensor& t, int64_t b, int64_t y, int64_t x, int64_t c) { return at(t, ((b * t.size(1) + y) * t.size(2) + x) * t.size(3) + c); }

TEST_F(LoadImageTest, PngWithAlphaGivesRgbAndInvertedAlphaMask) {
    const std::vector<uint8_t> rgba = {255, 0, 0, 255, 0, 128, 0, 0, 10, 20, 30, 64, 1, 2, 3, 200, 4, 5, 6, 7, 250, 251, 252, 253};
    media::write_png(in("a.png"), rgba, 3, 2, 4);
    NodeRun r = load("a.png");
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor& img = r.tensor(0);
    const Tensor& mask = r.tensor(1);
    EXPECT_EQ(shape_string(img.shape()), "[1, 2, 3, 3]");
    EXPECT_EQ(shape_string(mask.shape()), "[1, 2, 3]");
    for (int p = 0; p < 6; ++p) {
        for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(at(img, p * 3 + c), float(rgba[size_t(p * 4 + c)]) / 255.0f);
        EXPECT_FLOAT_EQ(at(mask, p), 1.0f - float(rgba[size_t(p * 4 + 3)]) / 255.0f);
    }
}

TEST_F(LoadImageTest, GrayPngIsReplicatedWithEmpty64x64Mask) {
    media::write_png(in("g.png"), std::vector<uint8_t>{0, 51, 102, 255}, 2, 2, 1);
    NodeRun r = load("g.png");
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_FLOAT_EQ(px(r.tensor(0), 0, 0, 1, 2), 0.2f);
    EXPECT_EQ(shape_string(r.tensor(1).shape()), "[1, 64, 64]");
    EXPECT_EQ(max_abs_diff(r.tensor(1), Tensor::zeros({1, 64, 64})), 0.0);
}

TEST_F(LoadImageTest, JpegDecodesCloseToSource) {
    write_bytes(in("p.jpg"), encode_jpeg(halves(16, 8), 16, 8));
    NodeRun r = load("p.jpg");
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor& img = r.tensor(0);
    EXPECT_EQ(shape_string(img.shape()), "[1, 8, 16, 3]");
    EXPECT_NEAR(px(img, 0, 1, 1, 0), 1.0f, 0.06);
    EXPECT_NEAR(px(img, 0, 1, 1, 2), 0.0f, 0.06);
    EXPECT_NEAR(px(img, 0, 6, 14, 2), 1.0f, 0.06);
    EXPECT_EQ(shape_string(r.tensor(1).shape()), "[1, 64, 64]");
}

TEST_F(LoadImageTest, JpegExifOrientationIsApplied) {
    write_bytes(in("r.jpg"), encode_jpeg(halves(16, 8), 16, 8, 6));  // 6: display rotated 90 degrees clockwise
    NodeRun r = load("r.jpg");
    ASSERT_TRUE(r.ok()) << r.error_text();
    const Tensor& img = r.tensor(0);
    EXPECT_EQ(shape_string(img.shape()), "[1, 16, 8, 3]");
    EXPECT_NEAR(px(img, 0, 1, 1, 0), 1.0f, 0.06);   // the red left half is now on top
    EXPECT_NEAR(px(img, 0, 14, 6, 2), 1.0f, 0.06);  // blue at the bottom
}

TEST_F(LoadImageTest, LosslessWebpWithAlpha) {
    const std::vector<uint8_t> rgba = {255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 1, 9, 99, 199, 77};
    uint8_t* out = nullptr;
    const size_t n = WebPEncodeLosslessRGBA(rgba.data(), 2, 2, 8, &out);
    ASSERT_GT(n, 0u);
    write_bytes(in("w.webp"), std::string(reinterpret_cast<char*>(out), n));
    WebPFree(out);
    NodeRun r = load("w.webp");
    ASSERT_TRUE(r.ok()) << r.error_text();
    for (int p = 0; p < 4; ++p) {
        for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(at(r.tensor(0), p * 3 + c), float(rgba[size_t(p * 4 + c)]) / 255.0f);
        EXPECT_FLOAT_EQ(at(r.tensor(1), p), 1.0f - float(rgba[size_t(p * 4 + 3)]) / 255.0f);
    }
}

TEST_F(LoadImageTest, AnimatedWebpBecomesABatch) {
    WebPAnimEncoderOptions aopts;
    ASSERT_TRUE(WebPAnimEncoderOptionsInit(&aopts));
    WebPAnimEncoder* enc = WebPAnimEncoderNew(4, 3, &aopts);
    ASSERT_NE(enc, nullptr);
    WebPConfig config;
    ASSERT_TRUE(WebPConfigInit(&config));
    config.lossless = 1;
    for (int f = 0; f < 3; ++f) {
        std::vector<uint8_t> rgba(4 * 3 * 4, 255);
        for (size_t p = 0; p < 12; ++p) rgba[p * 4 + 1] = uint8_t(f * 100);
        WebPPicture pic;
        ASSERT_TRUE(WebPPictureInit(&pic));
        pic.use_argb = 1;
        pic.width = 4;
        pic.height = 3;
        ASSERT_TRUE(WebPPictureImportRGBA(&pic, rgba.data(), 16));
        ASSERT_TRUE(WebPAnimEncoderAdd(enc, &pic, f * 100, &config));
        WebPPictureFree(&pic);
    }
    WebPAnimEncoderAdd(enc, nullptr, 300, nullptr);
    WebPData data;
    WebPDataInit(&data);
    ASSERT_TRUE(WebPAnimEncoderAssemble(enc, &data));
    write_bytes(in("anim.webp"), std::string(reinterpret_cast<const char*>(data.bytes), data.size));
    WebPDataClear(&data);
    WebPAnimEncoderDelete(enc);

    NodeRun r = load("anim.webp");
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(shape_string(r.tensor(0).shape()), "[3, 3, 4, 3]");
    EXPECT_FLOAT_EQ(px(r.tensor(0), 0, 0, 0, 1), 0.0f);
    EXPECT_FLOAT_EQ(px(r.tensor(0), 2, 2, 3, 1), 200.0f / 255.0f);
    EXPECT_EQ(r.tensor(1).size(0), 3);
}

TEST_F(LoadImageTest, CorruptFilesFailNamingTheFile) {
    write_bytes(in("bad.png"), std::string("\x89PNG\r\n\x1a\n", 8) + "this is not a png body at all");
    write_bytes(in("text.png"), "hello");
    write_bytes(in("bad.jpg"), std::string("\xFF\xD8\xFF\xE0", 4) + std::string(40, '\x13'));
    for (const char* name : {"bad.png", "text.png", "bad.jpg"}) {
        NodeRun r = load(name);
        EXPECT_EQ(r.result.status, RunStatus::Error) << name;
        ASSERT_TRUE(r.result.error.has_value()) << name;
        EXPECT_NE(r.result.error->exception_message.find(name), std::string::npos) << r.error_text();
        EXPECT_EQ(r.result.error->node_id, "n");
    }
}

TEST_F(LoadImageTest, MissingFileFailsValidation) {
    NodeRun r = load("missing.png");
    EXPECT_EQ(r.result.status, RunStatus::Invalid);
    EXPECT_NE(r.error_text().find("Invalid image file: missing.png"), std::string::npos) << r.error_text();
    NodeRun escape = load("../outside.png");
    EXPECT_EQ(escape.result.status, RunStatus::Invalid);
}

TEST_F(LoadImageTest, ComboListsImageFilesOfTheInputFolder) {
    media::write_png(in("b.png"), std::vector<uint8_t>{1}, 1, 1, 1);
    write_bytes(in("a.JPG"), encode_jpeg(halves(2, 2), 2, 2));
    write_bytes(in("notes.txt"), "x");
    fs::create_directories(in("sub.png"));
    const Input* input = runner().registry().find("LoadImage")->schema.find_input("image");
    ASSERT_NE(input, nullptr);
    EXPECT_TRUE(input->image_upload);
    EXPECT_EQ(input->combo_values(opts_.folders), (std::vector<std::string>{"a.JPG", "b.png"}));
}

TEST_F(LoadImageTest, FingerprintFollowsFileContent) {
    media::write_png(in("f.png"), std::vector<uint8_t>{10, 20, 30}, 1, 1, 3);
    NodeRun first = load("f.png");
    ASSERT_TRUE(first.ok()) << first.error_text();
    NodeRun again = load("f.png");
    ASSERT_TRUE(again.ok());
    EXPECT_NE(std::find(again.result.cached.begin(), again.result.cached.end(), "n"), again.result.cached.end());
    media::write_png(in("f.png"), std::vector<uint8_t>{40, 20, 30}, 1, 1, 3);
    NodeRun changed = load("f.png");
    ASSERT_TRUE(changed.ok());
    EXPECT_NE(std::find(changed.result.executed.begin(), changed.result.executed.end(), "n"), changed.result.executed.end());
    EXPECT_FLOAT_EQ(at(changed.tensor(0), 0), 40.0f / 255.0f);
}

TEST_F(LoadImageTest, LoadImageMaskPicksChannels) {
    const std::vector<uint8_t> rgba = {255, 0, 51, 255, 0, 102, 0, 51};
    media::write_png(in("m.png"), rgba, 2, 1, 4);
    auto mask = [&](const char* name, const char* channel) {
        NodeRun r = runner().run("LoadImageMask", {{"image", name}, {"channel", channel}});
        EXPECT_TRUE(r.ok()) << r.error_text();
        return r.tensor();
    };
    const Tensor red = mask("m.png", "red");
    EXPECT_EQ(shape_string(red.shape()), "[1, 1, 2]");
    EXPECT_FLOAT_EQ(at(red, 0), 1.0f);
    EXPECT_FLOAT_EQ(at(mask("m.png", "blue"), 0), 0.2f);
    EXPECT_FLOAT_EQ(at(mask("m.png", "alpha"), 1), 0.8f);
    write_bytes(in("j.jpg"), encode_jpeg(halves(4, 2), 4, 2));
    const Tensor opaque = mask("j.jpg", "alpha");  // no alpha: opaque, so the mask is 0
    EXPECT_EQ(shape_string(opaque.shape()), "[1, 2, 4]");
    EXPECT_EQ(max_abs_diff(opaque, Tensor::zeros({1, 2, 4})), 0.0);
}

}  // namespace
