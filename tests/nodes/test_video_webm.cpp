// SaveWEBM (VP9): frames, frame rate and quality survive a round trip through LoadVideo, the
// workflow is in the Matroska tags, and ffprobe reads the file.
#include "video_test_util.h"

#include "media/video_decode.h"
#include "media/video_encode.h"

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using weft::testing::VideoSession;

namespace {

weft::Workflow webm_workflow(const std::string& key, const std::string& codec, double fps, double crf) {
    weft::Workflow wf;
    wf.add("1", "TestFrames").set("key", key);
    wf.add("2", "SaveWEBM").link("images", "1", 0).set("filename_prefix", "w").set("codec", codec).set("fps", fps).set("crf", crf);
    return wf;
}

}  // namespace

TEST(VideoWebm, Vp9RoundTripWithFpsAndMetadata) {
    VideoSession vs;
    const weft::Tensor frames = weft::testing::video_test_frames(10, 96, 128);
    weft::RunOptions ro;
    ro.extra_pnginfo = {{"workflow", R"({"nodes": [2]})"}};
    const weft::RunResult r = vs.run(webm_workflow(VideoSession::feed(frames), "vp9", 12.0, 32.0), ro);
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const fs::path file = vs.saved_file(r, "2");
    EXPECT_EQ(file.filename(), "w_00001_.webm");

    const weft::media::VideoFileInfo info = weft::media::probe_video_file(file);
    EXPECT_EQ(info.codec, "vp9");
    // Matroska reads tag names back upper-cased.
    ASSERT_TRUE(info.metadata.count("PROMPT"));
    EXPECT_EQ(nlohmann::json::parse(info.metadata.at("PROMPT")).at("2").at("class_type"), "SaveWEBM");
    ASSERT_TRUE(info.metadata.count("WORKFLOW"));
    EXPECT_EQ(info.metadata.at("WORKFLOW"), R"({"nodes": [2]})");

    weft::Workflow load;
    load.add("1", "LoadVideo").set("file", "w_00001_.webm [output]");
    load.add("2", "GetVideoComponents").link("video", "1", 0);
    load.add("3", "PreviewAny").link("source", "2", 2);
    const weft::RunResult back = vs.run(load, {.capture = {"2"}});
    ASSERT_TRUE(back.ok()) << VideoSession::errors(back);
    const weft::Tensor images = back.output("2", 0).as_tensor();
    ASSERT_EQ(weft::shape_string(images.shape()), weft::shape_string(frames.shape()));
    EXPECT_DOUBLE_EQ(back.output("2", 2).as_float(), 12.0);
    EXPECT_GE(weft::testing::psnr(frames, images), 33.0) << "at SaveWEBM's default crf 32";
}

TEST(VideoWebm, FfprobeReadsTheFile) {
    WEFT_SKIP_WITHOUT_FFPROBE();
    VideoSession vs;
    const weft::RunResult r = vs.run(webm_workflow(VideoSession::feed(weft::testing::video_test_frames(7, 16, 16)), "vp9", 23.976, 32));
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const nlohmann::json j = weft::testing::ffprobe(vs.saved_file(r, "2"));
    ASSERT_TRUE(j.contains("streams"));
    EXPECT_EQ(j.at("format").at("format_name"), "matroska,webm");
    EXPECT_EQ(j.at("streams").at(0).at("codec_name"), "vp9");
    EXPECT_EQ(j.at("streams").at(0).at("nb_read_frames"), "7");
    EXPECT_EQ(j.at("streams").at(0).at("r_frame_rate"), "2997/125");
}

TEST(VideoWebm, Av1WhenTheEncoderExists) {
    if (!weft::media::video_encoder_available("av1")) GTEST_SKIP() << "this FFmpeg build has no libsvtav1";
    VideoSession vs;
    const weft::Tensor frames = weft::testing::video_test_frames(4, 64, 64);
    const weft::RunResult r = vs.run(webm_workflow(VideoSession::feed(frames), "av1", 8.0, 30.0));
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const weft::media::VideoComponents c = weft::media::decode_video_file(vs.saved_file(r, "2"));
    EXPECT_EQ(c.images.size(0), 4);
    EXPECT_GE(weft::testing::psnr(frames, c.images), 30.0);
}
