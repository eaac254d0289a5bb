// The one image decoder (LoadImage's and the server's): PNG, JPEG and WebP written by media/'s own
// encoders decode back with the right size, mode and pixels; the options the server uses; and
// corrupt or truncated input ends in weft::Error naming the origin, never a crash.
#include "media_test_util.h"

#include "media/image_decode.h"
#include "media/image_encode.h"
#include "media/png_io.h"

#include <algorithm>
#include <cstdlib>

#include <zlib.h>

using namespace weft;
using namespace weft::media_testing;

namespace {

// Smooth content (lossy codecs keep it close): a diagonal ramp per channel.
std::vector<uint8_t> smooth(int w, int h, int c) {
    std::vector<uint8_t> px(size_t(w) * size_t(h) * size_t(c));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int k = 0; k < c; ++k) px[(size_t(y) * w + x) * c + k] = uint8_t(40 + 4 * x + 3 * y + 20 * k);
    return px;
}

int max_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    int m = a.size() == b.size() ? 0 : 1000;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(int(a[i]) - int(b[i])));
    return m;
}

}  // namespace

TEST(ImageDecode, PngKeepsModeTextsAndPixels) {
    const auto px = smooth(6, 4, 4);
    const std::string bytes = media::encode_png(px, 6, 4, 4, std::vector<media::PngText>{{"prompt", "{}"}});
    const media::DecodedImage img = media::decode_image(bytes, "a.png");
    EXPECT_EQ(img.format, "PNG");
    ASSERT_EQ(img.frames.size(), 1u);
    EXPECT_EQ(img.frames[0].pixels, px);
    EXPECT_TRUE(img.rgba_mode);
    EXPECT_TRUE(img.has_transparency);
    ASSERT_EQ(img.texts.size(), 1u);
    EXPECT_EQ(img.texts[0].key, "prompt");
    // Gray to RGBA as Pillow's convert("RGBA"): replicated, alpha 255.
    const media::DecodedImage gray = media::decode_image(media::encode_png(std::vector<uint8_t>{7, 9}, 2, 1, 1), "g.png");
    EXPECT_FALSE(gray.has_transparency);
    EXPECT_EQ(gray.frames[0].to_rgba(), (std::vector<uint8_t>{7, 7, 7, 255, 9, 9, 9, 255}));
}

TEST(ImageDecode, JpegWrittenByTheEncoderDecodesClose) {
    const auto rgb = smooth(32, 16, 3);
    const std::string bytes = media::encode_jpeg(rgb, 32, 16, 95);
    const media::DecodedImage img = media::decode_image(bytes, "a.jpg");
    EXPECT_EQ(img.format, "JPEG");
    ASSERT_EQ(img.frames.size(), 1u);
    EXPECT_EQ(img.frames[0].width, 32);
    EXPECT_EQ(img.frames[0].height, 16);
    EXPECT_EQ(img.frames[0].channels, 3);
    EXPECT_LE(max_diff(img.frames[0].pixels, rgb), 12);
    EXPECT_FALSE(img.rgba_mode);
}

TEST(ImageDecode, WebpWrittenByTheEncoderDecodesClose) {
    const auto rgba = smooth(16, 16, 4);
    const media::DecodedImage img = media::decode_image(media::encode_webp(rgba, 16, 16, 4, 100), "a.webp");
    EXPECT_EQ(img.format, "WEBP");
    ASSERT_EQ(img.frames.size(), 1u);
    EXPECT_EQ(img.frames[0].channels, 4);
    EXPECT_TRUE(img.rgba_mode);
    EXPECT_LE(max_diff(img.frames[0].pixels, rgba), 16);
    const media::DecodedImage rgb = media::decode_image(media::encode_webp(smooth(16, 16, 3), 16, 16, 3, 90), "b.webp");
    EXPECT_EQ(rgb.frames[0].channels, 3);
    EXPECT_FALSE(rgb.has_transparency);
}

TEST(ImageDecode, SixteenBitGrayFollowsTheCallersConvention) {
    // A 2x1 16-bit gray PNG by hand (weft writes only 8-bit): samples 60000 and 65000.
    auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
    auto chunk = [&](const std::string& type, const std::string& data) {
        const std::string td = type + data;
        return be32(uint32_t(data.size())) + td + be32(uint32_t(crc32(0, reinterpret_cast<const Bytef*>(td.data()), uInt(td.size()))));
    };
    const std::string raw = std::string{'\0', char(60000 >> 8), char(60000 & 0xff), char(65000 >> 8), char(65000 & 0xff)};
    std::string z(compressBound(uLong(raw.size())), '\0');
    uLongf zlen = uLongf(z.size());
    ASSERT_EQ(compress(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size())), Z_OK);
    z.resize(zlen);
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", be32(2) + be32(1) + std::string{16, 0, 0, 0, 0}) +
                            chunk("IDAT", z) + chunk("IEND", "");
    // LoadImage: mode "I" scaled by 1/255 and clipped.
    EXPECT_EQ(media::decode_image(png, "g16.png").frames[0].pixels, (std::vector<uint8_t>{235, 254}));
    // The server's routes: Pillow's conversion keeps the high byte.
    media::DecodeOptions server;
    server.scale_16bit_gray = false;
    EXPECT_EQ(media::decode_image(png, "g16.png", server).frames[0].pixels, (std::vector<uint8_t>{234, 253}));
}

TEST(ImageDecode, CorruptAndTruncatedInputAreErrorsNamingTheOrigin) {
    const std::string png = media::encode_png(smooth(16, 16, 3), 16, 16, 3);
    const std::string jpeg = media::encode_jpeg(smooth(16, 16, 3), 16, 16, 90);
    const std::string webp = media::encode_webp(smooth(16, 16, 3), 16, 16, 3, 90);
    for (const auto& file : std::vector<std::pair<std::string, std::string>>{{png, "t.png"}, {webp, "t.webp"}}) {
        const std::string& bytes = file.first;
        const std::string& name = file.second;
        for (size_t cut : {size_t(3), size_t(12), bytes.size() / 2, bytes.size() - 4})
            expect_error([&] { media::decode_image(bytes.substr(0, cut), name); }, "invalid_image", name);
    }
    // A JPEG cut inside its headers is an error; cut inside the scan it decodes (the rest gray),
    // as ComfyUI's LoadImage accepts truncated JPEGs.
    for (size_t cut : {size_t(3), size_t(12), size_t(100)})
        expect_error([&] { media::decode_image(jpeg.substr(0, cut), "t.jpg"); }, "invalid_image", "t.jpg");
    EXPECT_EQ(media::decode_image(jpeg.substr(0, jpeg.size() - 20), "t.jpg").frames[0].width, 16);
    expect_error([&] { media::decode_image("", "empty.png"); }, "invalid_image", "empty");
    expect_error([&] { media::decode_image("BM not supported", "x.bmp"); }, "invalid_image", "x.bmp");
    expect_error([&] { media::decode_image_file("/nonexistent/weft/x.png"); }, "file_not_found", "x.png");
}
