// GET /view?preview= and ?channel= (re-encoded WebP/JPEG, the RGB image, the alpha channel) and
// POST /upload/mask (the mask's alpha merged into the original image, saved as PNG with the
// original's text chunks), pixel by pixel; and the image codecs they use.
#include "media/image_encode.h"
#include "media/png_io.h"
#include "server/raster_image.h"
#include "server_harness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

using namespace weft::server_test;
using weft::server::decode_raster;
using weft::media::encode_png;
using weft::media::PngText;
using weft::server::RasterImage;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kW = 16, kH = 12;


// A smooth RGBA test picture (JPEG and lossy WebP keep smooth pictures close) whose alpha varies.
std::vector<uint8_t> picture(int channels) {
    std::vector<uint8_t> px(size_t(kW * kH * channels));
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            uint8_t* p = &px[size_t((y * kW + x) * channels)];
            p[0] = uint8_t(40 + x * 10);
            p[1] = uint8_t(60 + y * 12);
            p[2] = uint8_t(200 - x * 5 - y * 3);
            if (channels == 4) p[3] = uint8_t(x < kW / 2 ? 255 : 30 + y * 10);
        }
    return px;
}

int max_rgb_diff(const RasterImage& img, const std::vector<uint8_t>& want, int channels) {
    int worst = 0;
    for (int i = 0; i < kW * kH; ++i)
        for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(int(img.rgba[size_t(i * 4 + c)]) - int(want[size_t(i * channels + c)])));
    return worst;
}

}  // namespace

TEST(ImageCodecs, RoundTripsThroughPngJpegAndWebp) {
    const auto rgba = picture(4), rgb = picture(3);
    const std::vector<PngText> texts = {{"prompt", "{\"1\": {}}"}, {"note", "caf\xc3\xa9"}};
    const RasterImage png = decode_raster(encode_png(rgba, kW, kH, 4, texts));
    ASSERT_EQ(png.width, kW);
    ASSERT_EQ(png.height, kH);
    EXPECT_EQ(png.rgba, rgba);
    EXPECT_TRUE(png.rgba_mode);
    ASSERT_EQ(png.texts.size(), 2u);
    EXPECT_EQ(png.texts[0].key, "prompt");
    EXPECT_EQ(png.texts[0].text, "{\"1\": {}}");
    EXPECT_EQ(png.texts[1].text, "caf\xc3\xa9");
    const RasterImage jpeg = decode_raster(weft::media::encode_jpeg(rgb, kW, kH, 95));
    ASSERT_EQ(jpeg.width, kW);
    EXPECT_LE(max_rgb_diff(jpeg, rgb, 3), 16);  // 4:2:0 chroma on a 16 x 12 gradient
    EXPECT_FALSE(jpeg.has_transparency);
    const RasterImage webp = decode_raster(weft::media::encode_webp(rgba, kW, kH, 4, 90));
    ASSERT_EQ(webp.height, kH);
    EXPECT_TRUE(webp.rgba_mode);
    EXPECT_THROW(decode_raster("GIF89a...."), weft::Error);
    EXPECT_THROW(decode_raster(std::string("\x89PNG\r\n\x1a\n", 8) + "garbage"), weft::Error);
}

TEST(ViewVariants, ChannelRgbAndAlpha) {
    TestServer srv;
    const auto& f = srv.config().folders;
    const auto rgba = picture(4), rgb = picture(3);
    write_bytes(f.output / "rgba.png", encode_png(rgba, kW, kH, 4));
    write_bytes(f.output / "rgb.png", encode_png(rgb, kW, kH, 3));

    // rgb: the picture without alpha, as an RGB PNG.
    auto r = srv.get("/view?filename=rgba.png&channel=rgb");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], "image/png");
    EXPECT_EQ(r.headers["content-disposition"], "filename=\"rgba.png\"");
    RasterImage img = decode_raster(r.body);
    EXPECT_FALSE(img.has_transparency);
    EXPECT_EQ(img.rgb(), rgb);

    // a: black pixels carrying the file's alpha.
    r = srv.get("/api/view?filename=rgba.png&type=output&channel=a");
    ASSERT_EQ(r.status, 200) << r.body;
    img = decode_raster(r.body);
    ASSERT_TRUE(img.rgba_mode);
    for (int i = 0; i < kW * kH; ++i) {
        ASSERT_EQ(img.rgba[size_t(i * 4)], 0);
        ASSERT_EQ(img.rgba[size_t(i * 4 + 1)], 0);
        ASSERT_EQ(img.rgba[size_t(i * 4 + 2)], 0);
        ASSERT_EQ(img.rgba[size_t(i * 4 + 3)], rgba[size_t(i * 4 + 3)]) << i;
    }
    // ...fully opaque for a file without alpha.
    img = decode_raster(srv.get("/view?filename=rgb.png&channel=a").body);
    for (int i = 0; i < kW * kH; ++i) ASSERT_EQ(img.rgba[size_t(i * 4 + 3)], 255);

    // rgba (and no channel): the stored bytes.
    EXPECT_EQ(srv.get("/view?filename=rgba.png&channel=rgba").body, read_bytes(f.output / "rgba.png"));
    EXPECT_EQ(srv.get("/view?filename=rgba.png").body, read_bytes(f.output / "rgba.png"));
}

TEST(ViewVariants, PreviewReencodes) {
    TestServer srv;
    const auto& f = srv.config().folders;
    const auto rgba = picture(4), rgb = picture(3);
    write_bytes(f.input / "pic.png", encode_png(rgba, kW, kH, 4));

    auto r = srv.get("/view?filename=pic.png&type=input&preview=webp;90");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], "image/webp");
    EXPECT_EQ(r.body.substr(0, 4), "RIFF");
    RasterImage img = decode_raster(r.body);
    EXPECT_EQ(img.width, kW);
    EXPECT_TRUE(img.rgba_mode);  // alpha kept
    EXPECT_LE(max_rgb_diff(img, rgb, 3), 24);

    r = srv.get("/view?filename=pic.png&type=input&preview=jpeg;80");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], "image/jpeg");
    img = decode_raster(r.body);
    EXPECT_EQ(img.height, kH);
    EXPECT_LE(max_rgb_diff(img, rgb, 3), 16);
    // Lower quality, fewer bytes; the default quality is 90.
    EXPECT_LT(srv.get("/view?filename=pic.png&type=input&preview=jpeg;10").body.size(), r.body.size());
    EXPECT_EQ(srv.get("/view?filename=pic.png&type=input&preview=jpeg").body, srv.get("/view?filename=pic.png&type=input&preview=jpeg;90").body);

    // webp with channel=rgb drops the alpha; a channel containing 'a' turns jpeg into webp, as in ComfyUI.
    img = decode_raster(srv.get("/view?filename=pic.png&type=input&preview=webp;90&channel=rgb").body);
    EXPECT_FALSE(img.has_transparency);
    r = srv.get("/view?filename=pic.png&type=input&preview=jpeg;90&channel=a");
    EXPECT_EQ(r.headers["content-type"], "image/webp");
}

TEST(ViewVariants, BadValuesAre400) {
    TestServer srv;
    const auto& f = srv.config().folders;
    write_bytes(f.output / "pic.png", encode_png(picture(3), kW, kH, 3));
    write_bytes(f.output / "notes.txt", "not an image");
    for (const char* q : {"channel=rgbx", "channel=", "preview=gif;90", "preview=webp;abc", "preview=webp;101", "preview=jpeg;", "preview="}) {
        const auto r = srv.get(std::string("/view?filename=pic.png&") + q);
        EXPECT_EQ(r.status, 400) << q;
        EXPECT_TRUE(r.json()["error"].is_object()) << q << " " << r.body;
    }
    EXPECT_EQ(srv.get("/view?filename=notes.txt&preview=webp;90").status, 400);
    EXPECT_EQ(srv.get("/view?filename=notes.txt&channel=rgb").status, 400);
    EXPECT_EQ(srv.get("/view?filename=notes.txt&channel=rgba").body, "not an image");  // served as stored
    EXPECT_EQ(srv.get("/view?filename=gone.png&channel=rgb").status, 404);
}

TEST(UploadMask, MergesTheMaskAlphaIntoTheOriginal) {
    TestServer srv;
    const auto& f = srv.config().folders;
    const auto rgb = picture(3);
    const std::vector<PngText> texts = {{"workflow", "{\"nodes\": []}"}};
    write_bytes(f.input / "sub" / "photo.png", encode_png(rgb, kW, kH, 3, texts));
    // The mask editor's upload: an RGBA image whose alpha is the mask (its colours are ignored).
    std::vector<uint8_t> mask(size_t(kW * kH * 4));
    for (int i = 0; i < kW * kH; ++i) {
        mask[size_t(i * 4)] = 255;
        mask[size_t(i * 4 + 3)] = uint8_t((i * 37) % 256);
    }
    const MultipartBody body = multipart({{"image", "clipspace-mask.png", encode_png(mask, kW, kH, 4)}},
                                         {{"original_ref", R"({"filename": "photo.png", "subfolder": "sub", "type": "input"})"},
                                          {"type", "input"}, {"subfolder", "clipspace"}});
    const auto r = http_request(srv.port(), "POST", "/upload/mask", body.body, body.content_type);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json(), json({{"name", "clipspace-mask.png"}, {"subfolder", "clipspace"}, {"type", "input"}}));
    const RasterImage saved = decode_raster(read_bytes(f.input / "clipspace" / "clipspace-mask.png"));
    ASSERT_EQ(saved.width, kW);
    ASSERT_EQ(saved.height, kH);
    ASSERT_TRUE(saved.rgba_mode);
    for (int i = 0; i < kW * kH; ++i) {
        for (int c = 0; c < 3; ++c) ASSERT_EQ(saved.rgba[size_t(i * 4 + c)], rgb[size_t(i * 3 + c)]) << i;
        ASSERT_EQ(saved.rgba[size_t(i * 4 + 3)], mask[size_t(i * 4 + 3)]) << i;
    }
    ASSERT_EQ(saved.texts.size(), 1u);
    EXPECT_EQ(saved.texts[0].key, "workflow");
    EXPECT_EQ(saved.texts[0].text, "{\"nodes\": []}");
    // The original is untouched.
    EXPECT_EQ(decode_raster(read_bytes(f.input / "sub" / "photo.png")).rgb(), rgb);
}

TEST(UploadMask, RefusesMismatchedOrBrokenImages) {
    TestServer srv;
    const auto& f = srv.config().folders;
    write_bytes(f.output / "photo.png", encode_png(picture(3), kW, kH, 3));
    auto upload = [&](const std::string& mask_bytes, const std::string& ref) {
        const MultipartBody body = multipart({{"image", "m.png", mask_bytes}}, {{"original_ref", ref}});
        return http_request(srv.port(), "POST", "/upload/mask", body.body, body.content_type);
    };
    // original_ref's type defaults to output, and an annotated name picks its folder.
    const std::string small = encode_png(std::vector<uint8_t>(4 * 4 * 4, 9), 4, 4, 4);
    EXPECT_EQ(upload(small, R"({"filename": "photo.png"})").status, 400);  // 4x4 mask for a 16x12 image
    EXPECT_EQ(upload("MASK", R"({"filename": "photo.png [output]"})").status, 400);
    EXPECT_EQ(upload(small, R"({"filename": "photo.png", "type": "input"})").status, 404);
    EXPECT_FALSE(fs::exists(f.input / "m.png"));
}
