// PNG with text chunks: encode -> decode round trips in memory and on disk, the text chunk reader
// (tEXt/iTXt as weft writes them), and damaged bytes ending in weft::Error naming the origin.
#include "media_test_util.h"

#include "media/png_io.h"
#include "media/png_text.h"

using namespace weft;
using namespace weft::media_testing;

namespace {

std::vector<uint8_t> gradient(int w, int h, int c) {
    std::vector<uint8_t> px(size_t(w) * size_t(h) * size_t(c));
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 7 + 3);
    return px;
}

}  // namespace

TEST(PngIo, EncodeDecodeRoundTripKeepsPixelsAndTexts) {
    for (int c = 1; c <= 4; ++c) {
        const auto px = gradient(5, 3, c);
        const std::vector<media::PngText> texts = {{"prompt", "{\"1\": {}}"}, {"workflow", "caf\xc3\xa9 \xe2\x9c\x93"}};
        const std::string bytes = media::encode_png(px, 5, 3, c, texts, 6);
        const media::PngImage img = media::decode_png(bytes, "mem.png");
        EXPECT_EQ(img.width, 5);
        EXPECT_EQ(img.height, 3);
        ASSERT_EQ(img.channels, c);
        EXPECT_EQ(img.bit_depth, 8);
        EXPECT_EQ(std::vector<uint8_t>(img.pixels.begin(), img.pixels.end()), px);
        EXPECT_EQ(img.texts, texts);  // the non-ASCII text went through iTXt as UTF-8
        EXPECT_EQ(img.rgba_color_type, c == 4);
        EXPECT_EQ(img.has_transparency, c == 2 || c == 4);
    }
}

TEST(PngIo, FileRoundTripAndTextReader) {
    ScratchDir dir("png");
    const auto px = gradient(4, 4, 3);
    media::write_png(dir / "a.png", px, 4, 4, 3, std::vector<media::PngText>{{"prompt", "{}"}, {"k", "\xc3\xa9"}});
    const media::PngImage img = media::read_png(dir / "a.png");
    EXPECT_EQ(std::vector<uint8_t>(img.pixels.begin(), img.pixels.end()), px);
    const auto texts = media::read_png_texts(file_bytes(dir / "a.png"), "a.png");
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[0], (media::PngText{"prompt", "{}"}));
    EXPECT_EQ(texts[1], (media::PngText{"k", "\xc3\xa9"}));
    // No leftover file when the buffer is wrong.
    expect_error([&] { media::write_png(dir / "b.png", px, 5, 4, 3); }, "save_failed", "b.png");
    EXPECT_FALSE(std::filesystem::exists(dir / "b.png"));
}

TEST(PngIo, DamagedBytesAreErrorsNamingTheOrigin) {
    const std::string good = media::encode_png(gradient(8, 8, 3), 8, 8, 3, std::vector<media::PngText>{{"prompt", "{}"}});
    expect_error([&] { media::decode_png(good.substr(0, good.size() / 2), "half.png"); }, "invalid_image", "half.png");
    expect_error([&] { media::read_png_texts(good.substr(0, 40), "cut.png"); }, "invalid_image", "cut.png");
    expect_error([&] { media::decode_png("GIF89a not a png", "x.gif"); }, "invalid_image", "x.gif");
    std::string flipped = good;
    flipped[flipped.size() - 20] ^= 0x55;  // inside the image data
    expect_error([&] { media::decode_png(flipped, "flip.png"); }, "invalid_image", "flip.png");
    expect_error([&] { media::read_png("/nonexistent/weft/none.png"); }, "file_not_found", "none.png");
}

TEST(PngIo, JsonAsciiEscapesLikePython) {
    EXPECT_EQ(media::json_ascii("\"caf\xc3\xa9\""), "\"caf\\u00e9\"");
    EXPECT_EQ(media::json_ascii("\"\xf0\x9f\x98\x80\""), "\"\\ud83d\\ude00\"");
    EXPECT_EQ(media::json_ascii("{\"a\": 1}"), "{\"a\": 1}");
    EXPECT_EQ(media::json_ascii("\xff"), "\\ufffd");
}
