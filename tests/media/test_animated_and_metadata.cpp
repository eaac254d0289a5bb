// APNG and animated WebP written by media/'s writers read back exactly (lossless), the embedded
// workflow comes out of PNG/APNG/WebP/MP4/WebM written by weft's own writers, and damaged files
// end in weft::Error naming the file.
#include "media_test_util.h"

#include "media/animated_webp.h"
#include "media/apng.h"
#include "media/embedded_metadata.h"
#include "media/image_decode.h"
#include "media/image_tensor.h"
#include "media/png_text.h"
#include "media/video_decode.h"
#include "media/video_encode.h"

#include <algorithm>
#include <cctype>

using namespace weft;
using namespace weft::media_testing;

namespace {

const std::string kPrompt = R"({"1": {"class_type": "EmptyImage", "inputs": {}}})";

// The value of `key` (compared case-insensitively: Matroska tag names come back upper-cased).
std::string value_of(const std::vector<std::pair<std::string, std::string>>& entries, const std::string& key) {
    for (const auto& [k, v] : entries)
        if (k.size() == key.size() && std::equal(k.begin(), k.end(), key.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
            return v;
    return "<absent>";
}

}  // namespace

TEST(Apng, RoundTripFramesTimingAndComfChunks) {
    ScratchDir dir("apng");
    const Tensor frames = test_frames(3, 5, 7, 3);
    media::ApngOptions o;
    o.fps = 4;
    o.comf = {{"prompt", kPrompt}, {"workflow", "{}"}};
    media::write_apng(dir / "a.png", frames, o);
    const media::Apng a = media::read_apng(dir / "a.png");
    ASSERT_EQ(a.frames.size(), 3u);
    EXPECT_EQ(a.width, 7);
    EXPECT_EQ(a.height, 5);
    EXPECT_EQ(a.channels, 3);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(a.frames[i], media::image_item_to_u8(frames, int64_t(i))) << i;
    EXPECT_NEAR(a.delays_s[0], 0.25, 1e-9);
    EXPECT_EQ(a.texts, o.comf);
    // The same chunks through the one PNG text reader, and the still decoder reads frame 0.
    EXPECT_EQ(media::read_png_texts(file_bytes(dir / "a.png"), "a.png"), o.comf);
    EXPECT_EQ(media::decode_image_file(dir / "a.png").frames[0].pixels, a.frames[0]);
}

TEST(Apng, DamagedFilesAreErrors) {
    ScratchDir dir("apng_bad");
    media::write_apng(dir / "a.png", test_frames(2, 4, 4, 3), {});
    const std::string bytes = file_bytes(dir / "a.png");
    write_bytes(dir / "cut.png", bytes.substr(0, bytes.size() - 30));
    expect_error([&] { media::read_apng(dir / "cut.png"); }, "invalid_image", "cut.png");
    std::string flipped = bytes;
    flipped[60] ^= 0x20;  // a bad CRC
    write_bytes(dir / "crc.png", flipped);
    expect_error([&] { media::read_apng(dir / "crc.png"); }, "invalid_image", "crc.png");
}

TEST(AnimatedWebp, LosslessRoundTripAndExifWorkflow) {
    ScratchDir dir("awebp");
    const Tensor frames = test_frames(3, 6, 8, 3);
    media::AnimatedWebpOptions o;
    o.fps = 10;
    o.exif = media::exif_ascii_tiff({{0x0110, "prompt:" + kPrompt}, {0x010F, "workflow:{}"}});
    media::write_animated_webp(dir / "a.webp", frames, o);
    const media::AnimatedWebp w = media::read_animated_webp(dir / "a.webp");
    ASSERT_EQ(w.frames.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const auto rgb = media::image_item_to_u8(frames, int64_t(i));
        ASSERT_EQ(w.frames[i].size(), rgb.size() / 3 * 4);
        for (size_t p = 0; p < rgb.size() / 3; ++p)
            for (size_t c = 0; c < 3; ++c) ASSERT_EQ(w.frames[i][p * 4 + c], rgb[p * 3 + c]) << i << " " << p;
    }
    EXPECT_EQ(w.timestamps_ms.back(), 300);
    // The still decoder composites every frame; the metadata reader finds the workflow.
    EXPECT_EQ(media::decode_image_file(dir / "a.webp").frames.size(), 3u);
    const std::string bytes = file_bytes(dir / "a.webp");
    ASSERT_TRUE(media::is_media_container(bytes));
    const auto entries = media::read_media_metadata(bytes, "a.webp");
    EXPECT_EQ(value_of(entries, "prompt"), kPrompt);
    EXPECT_EQ(value_of(entries, "workflow"), "{}");
    expect_error([&] { media::read_media_metadata(bytes.substr(0, bytes.size() / 2), "half.webp"); }, "invalid_media", "half.webp");
    write_bytes(dir / "half.webp", bytes.substr(0, bytes.size() / 2));
    expect_error([&] { media::read_animated_webp(dir / "half.webp"); }, "invalid_image", "half.webp");
}

TEST(VideoMetadata, WorkflowFromMp4AndWebmWrittenByWeft) {
    ScratchDir dir("video");
    const Tensor frames = test_frames(2, 16, 16, 3);
    for (const auto& [container, codec] : std::vector<std::pair<std::string, std::string>>{{"mp4", "h264"}, {"webm", "vp9"}}) {
        if (!media::video_encoder_available(codec)) {
            GTEST_LOG_(INFO) << "no " << codec << " encoder in this FFmpeg; " << container << " skipped";
            continue;
        }
        media::VideoEncodeOptions o;
        o.container = container;
        o.codec = codec;
        o.fps = 8;
        o.metadata = {{"prompt", kPrompt}, {"workflow", "{}"}};
        const auto path = dir / ("v." + container);
        media::encode_video(path, frames, o);
        const std::string bytes = file_bytes(path);
        ASSERT_TRUE(media::is_media_container(bytes)) << container;
        const auto entries = media::read_media_metadata(bytes, path.string());
        EXPECT_EQ(value_of(entries, "prompt"), kPrompt) << container;
        const media::VideoComponents v = media::decode_video_file(path);
        EXPECT_EQ(v.images.size(0), 2);
        EXPECT_NEAR(v.fps, 8.0, 1e-6);
        if (container == "mp4")
            expect_error([&] { media::read_media_metadata(bytes.substr(0, 40), "cut.mp4"); }, "invalid_media", "cut.mp4");
    }
    write_bytes(dir / "junk.mp4", "not a video at all");
    expect_error([&] { media::decode_video_file(dir / "junk.mp4"); }, "invalid_video", "junk.mp4");
    expect_error([&] { media::read_media_metadata("plain text", "x.txt"); }, "invalid_media", "x.txt");
}
