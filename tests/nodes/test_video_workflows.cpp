// The example workflows through the `weft` CLI (an image pipeline into an MP4; load, scale and
// save a video), and `weft run FILE` reading the workflow back from the MP4, WebM, animated WebP
// and APNG files the save nodes wrote.
#include "video_test_util.h"

#include "media/video_decode.h"
#include "media/video_encode.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fs = std::filesystem;
using weft::testing::ProcessResult;
using weft::testing::TempDir;
using weft::testing::VideoSession;

namespace {

ProcessResult weft_cli(const TempDir& dir, const std::vector<std::string>& args) {
    return weft::testing::run_process(WEFT_CLI_PATH, args, dir.path());
}

fs::path example(const std::string& name) { return fs::path(WEFT_SOURCE_DIR) / "workflows" / name; }

}  // namespace

TEST(VideoWorkflows, FramesToMp4ThenRunTheMp4Again) {
    TempDir dir("weft-video-cli");
    const ProcessResult model = weft_cli(dir, {"demo-model", (dir / "models").string()});
    ASSERT_EQ(model.exit_code, 0) << model.err;
    // Fewer, smaller frames than the example's defaults keep the test fast.
    const ProcessResult run = weft_cli(dir, {"run", example("frames_to_mp4.json").string(), "--set", "5.batch_size=4",
                                             "--set", "5.width=64", "--set", "5.height=64", "--set", "3.steps=2"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const fs::path mp4 = dir / "output/video/weft_frames_00001_.mp4";
    ASSERT_TRUE(fs::exists(mp4)) << run.out;
    const weft::media::VideoComponents c = weft::media::decode_video_file(mp4);
    EXPECT_EQ(weft::shape_string(c.images.shape()), "[4, 64, 64, 3]");
    EXPECT_DOUBLE_EQ(c.fps, 8.0);

    // The MP4 carries the workflow (with the overrides applied): running it saves the same again.
    const ProcessResult again = weft_cli(dir, {"run", mp4.string(), "--output-dir", "again"});
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    const fs::path mp4b = dir / "again/video/weft_frames_00001_.mp4";
    ASSERT_TRUE(fs::exists(mp4b));
    const weft::media::VideoComponents c2 = weft::media::decode_video_file(mp4b);
    EXPECT_EQ(weft::shape_string(c2.images.shape()), "[4, 64, 64, 3]");
    EXPECT_EQ(weft::media::probe_video_file(mp4b).metadata.at("prompt"), weft::media::probe_video_file(mp4).metadata.at("prompt"))
        << "the second run is the same workflow";
    EXPECT_GE(weft::testing::psnr(c.images, c2.images), 30.0) << "same workflow and seed: (nearly) the same frames";
}

TEST(VideoWorkflows, VideoRescaleKeepsFpsFramesAndAudio) {
    TempDir dir("weft-video-cli");
    const weft::Tensor frames = weft::testing::video_test_frames(10, 48, 64);
    const int64_t rate = 22050;
    weft::Tensor wave = weft::Tensor::zeros({1, 1, rate});
    for (int64_t i = 0; i < rate; ++i) wave.data<float>()[i] = 0.3f * std::sin(float(i) * 0.05f);
    const weft::media::AudioTrack audio{wave, rate};
    weft::media::VideoEncodeOptions o;
    o.fps = 10;
    o.audio = &audio;
    fs::create_directories(dir / "input");
    weft::media::encode_video(dir / "input/input.mp4", frames, o);

    const ProcessResult run = weft_cli(dir, {"run", example("video_rescale.json").string()});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const fs::path out = dir / "output/video/rescaled_00001_.mp4";
    ASSERT_TRUE(fs::exists(out)) << run.out;
    const weft::media::VideoComponents c = weft::media::decode_video_file(out);
    EXPECT_EQ(weft::shape_string(c.images.shape()), "[10, 240, 320, 3]");
    EXPECT_DOUBLE_EQ(c.fps, 10.0);
    ASSERT_TRUE(c.audio.has_value()) << "the audio goes along";
    EXPECT_EQ(c.audio->sample_rate, rate);
}

TEST(VideoWorkflows, WeftRunReadsTheWorkflowBackFromEveryFormat) {
    VideoSession vs;
    weft::Workflow wf;
    wf.add("1", "EmptyImage").set("width", 32).set("height", 32).set("batch_size", 3).set("color", 0x208040);
    wf.add("2", "CreateVideo").link("images", "1", 0).set("fps", 6.0);
    wf.add("3", "SaveVideo").link("video", "2", 0).set("filename_prefix", "m").set("format", "auto").set("codec", "auto");
    wf.add("4", "SaveWEBM").link("images", "1", 0).set("filename_prefix", "w").set("codec", "vp9").set("fps", 6.0).set("crf", 32.0);
    wf.add("5", "SaveAnimatedWEBP").link("images", "1", 0).set("filename_prefix", "a").set("fps", 6.0).set("lossless", true)
        .set("quality", 80).set("method", "fastest");
    wf.add("6", "SaveAnimatedPNG").link("images", "1", 0).set("filename_prefix", "p").set("fps", 6.0).set("compress_level", 4);
    const weft::RunResult r = vs.run(wf);
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);

    TempDir dir("weft-video-cli");
    for (const char* node : {"3", "4", "5", "6"}) {
        const fs::path file = vs.saved_file(r, node);
        // In process: the parsed workflow is the one that was run.
        const weft::Workflow back = weft::Workflow::load(file, *weft::builtin_registry());
        EXPECT_EQ(nlohmann::json::parse(back.to_json()), nlohmann::json::parse(wf.to_json())) << file;
        // Through the CLI: it runs and saves the four files again.
        const std::string out = std::string("out") + node;
        const ProcessResult p = weft_cli(dir, {"run", file.string(), "--output-dir", out});
        EXPECT_EQ(p.exit_code, 0) << file << ": " << p.out << p.err;
        for (const char* name : {"m_00001_.mp4", "w_00001_.webm", "a_00001_.webp", "p_00001_.png"})
            EXPECT_TRUE(fs::exists(dir / out / name)) << name << " from " << file;
    }
}

TEST(VideoWorkflows, MediaWithoutAWorkflowIsAClearError) {
    TempDir dir("weft-video-cli");
    weft::media::VideoEncodeOptions o;
    weft::media::encode_video(dir / "bare.mp4", weft::testing::video_test_frames(2, 16, 16), o);
    try {
        weft::Workflow::load(dir / "bare.mp4");
        FAIL() << "an MP4 without metadata parsed";
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "invalid_prompt");
        EXPECT_NE(e.details().find("no 'prompt' or 'workflow'"), std::string::npos) << e.details();
    }
}
