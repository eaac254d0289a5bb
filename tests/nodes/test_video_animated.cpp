// SaveAnimatedWEBP and SaveAnimatedPNG: exact lossless round trips (through weft's own readers and
// independent ones: LoadImage's WebP decoder, libpng, ffmpeg's APNG decoder), frame timing, the
// workflow in EXIF / "comf" chunks as ComfyUI writes them, and ffprobe reading the files.
#include "video_test_util.h"

#include "media/animated_webp.h"
#include "media/apng.h"
#include "media/image_decode.h"
#include "nodes/image_pixels.h"
#include "media/png_io.h"

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using weft::testing::VideoSession;

namespace {

weft::Workflow webp_workflow(const std::string& key, double fps, bool lossless, int quality = 80) {
    weft::Workflow wf;
    wf.add("1", "TestFrames").set("key", key);
    wf.add("2", "SaveAnimatedWEBP").link("images", "1", 0).set("filename_prefix", "anim/w").set("fps", fps)
        .set("lossless", lossless).set("quality", quality).set("method", "default");
    return wf;
}

weft::Workflow apng_workflow(const std::string& key, double fps, int level = 4) {
    weft::Workflow wf;
    wf.add("1", "TestFrames").set("key", key);
    wf.add("2", "SaveAnimatedPNG").link("images", "1", 0).set("filename_prefix", "anim/p").set("fps", fps)
        .set("compress_level", level);
    return wf;
}

// The 8-bit pixels weft writes for frame `i` (ComfyUI's truncating conversion).
std::vector<uint8_t> expected_u8(const weft::Tensor& frames, int64_t i) { return weft::nodes::image_item_to_u8(frames, i); }

std::vector<uint8_t> rgb_of_rgba(const std::vector<uint8_t>& rgba) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < rgba.size(); i += 4) out.insert(out.end(), rgba.begin() + long(i), rgba.begin() + long(i) + 3);
    return out;
}

// ASCII entries of a little-endian TIFF IFD0 (the EXIF chunk), tag -> text; an independent
// reading of what ComfyUI's loaders parse.
std::map<int, std::string> exif_ascii(const std::string& tiff) {
    std::map<int, std::string> out;
    auto u16 = [&](size_t p) { return int(uint8_t(tiff.at(p))) | int(uint8_t(tiff.at(p + 1))) << 8; };
    auto u32 = [&](size_t p) { return size_t(u16(p)) | size_t(u16(p + 2)) << 16; };
    EXPECT_EQ(tiff.substr(0, 4), std::string("II*\0", 4));
    const size_t ifd = u32(4);
    const int n = u16(ifd);
    for (int i = 0; i < n; ++i) {
        const size_t e = ifd + 2 + size_t(i) * 12;
        if (u16(e + 2) != 2) continue;
        const size_t count = u32(e + 4);
        const size_t at = count <= 4 ? e + 8 : u32(e + 8);
        out[u16(e)] = tiff.substr(at, count - 1);
    }
    return out;
}

}  // namespace

TEST(AnimatedWebp, LosslessIsExactWithTimingAndMetadata) {
    VideoSession vs;
    const weft::Tensor frames = weft::testing::video_test_frames(5, 24, 30);
    weft::RunOptions ro;
    ro.extra_pnginfo = {{"workflow", R"({"nodes": [1]})"}, {"zextra", "7"}};
    const weft::RunResult r = vs.run(webp_workflow(VideoSession::feed(frames), 8.0, true), ro);
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const weft::Dict& entry = r.ui.at("2").at("images").as_list().at(0).as_dict();
    EXPECT_EQ(entry.at("filename").as_string(), "w_00001_.webp");
    EXPECT_EQ(entry.at("subfolder").as_string(), "anim");
    const fs::path file = vs.saved_file(r, "2");

    const weft::media::AnimatedWebp webp = weft::media::read_animated_webp(file);
    ASSERT_EQ(webp.frames.size(), 5u);
    EXPECT_EQ(webp.width, 30);
    EXPECT_EQ(webp.height, 24);
    EXPECT_EQ(webp.loop_count, 0);
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(rgb_of_rgba(webp.frames[i]), expected_u8(frames, int64_t(i))) << "frame " << i;
        EXPECT_EQ(webp.timestamps_ms[i], int(i + 1) * 125) << "int(1000 / fps) ms per frame";
    }
    // LoadImage's decoder (libwebp's animation decoder through another path) agrees.
    const weft::media::DecodedImage decoded = weft::media::decode_image_file(file);
    ASSERT_EQ(decoded.frames.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        std::vector<uint8_t> rgb;
        const auto r0 = decoded.frames[i].rgba_channel(0), g0 = decoded.frames[i].rgba_channel(1), b0 = decoded.frames[i].rgba_channel(2);
        for (size_t p = 0; p < r0.size(); ++p) rgb.insert(rgb.end(), {r0[p], g0[p], b0[p]});
        EXPECT_EQ(rgb, expected_u8(frames, int64_t(i))) << "frame " << i;
    }
    // ComfyUI's EXIF layout.
    const std::map<int, std::string> tags = exif_ascii(webp.exif);
    ASSERT_TRUE(tags.count(0x0110));
    EXPECT_EQ(tags.at(0x0110).rfind("prompt:", 0), 0u);
    EXPECT_EQ(nlohmann::json::parse(tags.at(0x0110).substr(7)).at("2").at("class_type"), "SaveAnimatedWEBP");
    ASSERT_TRUE(tags.count(0x010F));
    EXPECT_EQ(tags.at(0x010F), R"(workflow:{"nodes": [1]})");
    EXPECT_EQ(tags.at(0x010E), "zextra:7");
}

TEST(AnimatedWebp, LossyQualityIsCloseAndSmaller) {
    VideoSession vs;
    const weft::Tensor frames = weft::testing::video_test_frames(4, 32, 32);
    const weft::RunResult lossy = vs.run(webp_workflow(VideoSession::feed(frames), 6.0, false, 90));
    const weft::RunResult exact = vs.run(webp_workflow(VideoSession::feed(frames), 6.0, true));
    ASSERT_TRUE(lossy.ok() && exact.ok()) << VideoSession::errors(lossy) << VideoSession::errors(exact);
    const weft::media::AnimatedWebp webp = weft::media::read_animated_webp(vs.saved_file(lossy, "2"));
    ASSERT_EQ(webp.frames.size(), 4u);
    double se = 0, n = 0;
    for (size_t i = 0; i < 4; ++i) {
        const std::vector<uint8_t> want = expected_u8(frames, int64_t(i)), got = rgb_of_rgba(webp.frames[i]);
        for (size_t p = 0; p < want.size(); ++p) {
            se += (double(want[p]) - got[p]) * (double(want[p]) - got[p]);
            n += 1;
        }
    }
    EXPECT_GT(se, 0) << "lossy is not exact";
    EXPECT_GT(10 * std::log10(255.0 * 255.0 / (se / n)), 30.0);
    EXPECT_LT(fs::file_size(vs.saved_file(lossy, "2")), fs::file_size(vs.saved_file(exact, "2")));
}

TEST(AnimatedWebp, FfprobeReadsTheFile) {
    WEFT_SKIP_WITHOUT_FFPROBE();
    VideoSession vs;
    const weft::RunResult r = vs.run(webp_workflow(VideoSession::feed(weft::testing::video_test_frames(3, 16, 16)), 6.0, true));
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const weft::testing::ProcessResult p = weft::testing::run_process(
        weft::testing::ffmpeg_tool("ffprobe"), {"-v", "error", "-show_streams", "-of", "json", vs.saved_file(r, "2").string()});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const nlohmann::json j = nlohmann::json::parse(p.out);
    EXPECT_EQ(j.at("streams").at(0).at("codec_name"), "webp");
}

TEST(AnimatedPng, ExactRoundTripWithTimingAndComfChunks) {
    VideoSession vs;
    for (int channels : {3, 4}) {
        for (int level : {0, 9}) {
            const weft::Tensor frames = weft::testing::video_test_frames(4, 20, 26, channels);
            weft::RunOptions ro;
            ro.extra_pnginfo = {{"workflow", R"({"nodes": []})"}};
            const weft::RunResult r = vs.run(apng_workflow(VideoSession::feed(frames), 10.0, level), ro);
            ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
            const fs::path file = vs.saved_file(r, "2");
            EXPECT_EQ(file.extension(), ".png");

            const weft::media::Apng png = weft::media::read_apng(file);
            ASSERT_EQ(png.frames.size(), 4u);
            EXPECT_EQ(png.channels, channels);
            EXPECT_EQ(png.loop_count, 0);
            for (size_t i = 0; i < 4; ++i) {
                EXPECT_EQ(png.frames[i], expected_u8(frames, int64_t(i))) << "frame " << i << " level " << level;
                EXPECT_DOUBLE_EQ(png.delays_s[i], 0.1);
            }
            ASSERT_EQ(png.texts.size(), 2u);
            EXPECT_EQ(png.texts[0].key, "prompt");
            EXPECT_EQ(nlohmann::json::parse(png.texts[0].text).at("2").at("class_type"), "SaveAnimatedPNG");
            EXPECT_EQ(png.texts[1].key, "workflow");
            EXPECT_EQ(png.texts[1].text, R"({"nodes": []})");

            // libpng (no APNG support) sees the first frame as the still image.
            const weft::media::PngImage still = weft::media::read_png(file);
            const std::vector<uint8_t> first = expected_u8(frames, 0);
            ASSERT_EQ(still.pixels.size(), first.size());
            for (size_t p = 0; p < first.size(); ++p) ASSERT_EQ(still.pixels[p], first[p]);
        }
    }
}

TEST(AnimatedPng, FfmpegDecodesEveryFrameExactly) {
    WEFT_SKIP_WITHOUT_FFPROBE();
    VideoSession vs;
    const weft::Tensor frames = weft::testing::video_test_frames(6, 18, 22);
    const weft::RunResult r = vs.run(apng_workflow(VideoSession::feed(frames), 5.0));
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const fs::path file = vs.saved_file(r, "2");
    const nlohmann::json j = weft::testing::ffprobe(file);
    ASSERT_TRUE(j.contains("streams"));
    EXPECT_EQ(j.at("streams").at(0).at("codec_name"), "apng");
    EXPECT_EQ(j.at("streams").at(0).at("nb_read_frames"), "6");
    const fs::path raw = vs.dir() / "frames.rgb";
    const weft::testing::ProcessResult p = weft::testing::run_process(
        weft::testing::ffmpeg_tool("ffmpeg"),
        {"-v", "error", "-i", file.string(), "-f", "rawvideo", "-pix_fmt", "rgb24", raw.string()});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const std::string bytes = weft::testing::read_text_file(raw);
    std::string want;
    for (int64_t i = 0; i < 6; ++i) {
        const std::vector<uint8_t> px = expected_u8(frames, i);
        want.append(px.begin(), px.end());
    }
    EXPECT_TRUE(bytes == want) << "ffmpeg's APNG decoder disagrees (" << bytes.size() << " vs " << want.size() << " bytes)";
}

TEST(AnimatedPng, CorruptFilesAreClearErrors) {
    VideoSession vs;
    const weft::RunResult r = vs.run(apng_workflow(VideoSession::feed(weft::testing::video_test_frames(2, 8, 8)), 5.0));
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const std::string bytes = weft::testing::read_text_file(vs.saved_file(r, "2"));
    weft::testing::TempDir dir;
    weft::testing::write_text_file(dir / "cut.png", bytes.substr(0, bytes.size() - 20));
    EXPECT_THROW(weft::media::read_apng(dir / "cut.png"), weft::Error);
    std::string flipped = bytes;
    flipped[bytes.size() / 2] = char(~flipped[bytes.size() / 2]);
    weft::testing::write_text_file(dir / "flip.png", flipped);
    EXPECT_THROW(weft::media::read_apng(dir / "flip.png"), weft::Error);
}
