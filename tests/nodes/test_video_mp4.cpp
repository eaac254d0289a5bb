// CreateVideo / SaveVideo / LoadVideo / GetVideoComponents with MP4 (H.264): frame count, frame
// rate and quality (PSNR) survive a round trip, the workflow is in the container metadata, ffprobe
// reads the file, audio is kept, and bad input gives clear errors without leaving files behind.
#include "video_test_util.h"

#include "media/video_decode.h"
#include "media/video_encode.h"
#include "nodes/video_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

namespace fs = std::filesystem;
using weft::testing::VideoSession;

namespace {

weft::Workflow save_workflow(const std::string& frames_key, double fps) {
    weft::Workflow wf;
    wf.add("1", "TestFrames").set("key", frames_key);
    wf.add("2", "CreateVideo").link("images", "1", 0).set("fps", fps);
    wf.add("3", "SaveVideo").link("video", "2", 0).set("filename_prefix", "video/clip").set("format", "auto").set("codec", "auto");
    return wf;
}

weft::Workflow load_workflow(const std::string& file) {
    weft::Workflow wf;
    wf.add("1", "LoadVideo").set("file", file);
    wf.add("2", "GetVideoComponents").link("video", "1", 0);
    wf.add("3", "PreviewAny").link("source", "2", 2);  // an output node, so that the graph runs
    return wf;
}

std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(e.path());
    return out;
}

}  // namespace

TEST(VideoMp4, FramesRoundTripWithFpsQualityAndMetadata) {
    VideoSession vs;
    // 128x96: on smaller frames the yuv420p chroma subsampling alone of the sharp-edged square
    // costs more than the codec does.
    const weft::Tensor frames = weft::testing::video_test_frames(12, 96, 128);
    weft::RunOptions ro;
    ro.extra_pnginfo = {{"workflow", R"({"nodes": [], "note": "caf\u00e9"})"}};
    const weft::RunResult saved = vs.run(save_workflow(VideoSession::feed(frames), 24.0), ro);
    ASSERT_TRUE(saved.ok()) << VideoSession::errors(saved);
    const weft::Dict& ui = saved.ui.at("3");
    const weft::Dict& entry = ui.at("images").as_list().at(0).as_dict();
    EXPECT_EQ(entry.at("filename").as_string(), "clip_00001_.mp4");
    EXPECT_EQ(entry.at("subfolder").as_string(), "video");
    EXPECT_EQ(entry.at("type").as_string(), "output");
    EXPECT_TRUE(ui.at("animated").as_list().at(0).as_bool());
    const fs::path file = vs.saved_file(saved, "3");
    ASSERT_TRUE(fs::exists(file));
    EXPECT_EQ(files_under(vs.folders().output).size(), 1u) << "no temporary file may be left";

    // Metadata as ComfyUI writes it: "prompt" (API JSON) and each extra_pnginfo key.
    const weft::media::VideoFileInfo info = weft::media::probe_video_file(file);
    EXPECT_EQ(info.codec, "h264");
    EXPECT_EQ(info.width, 128);
    EXPECT_EQ(info.height, 96);
    ASSERT_TRUE(info.metadata.count("prompt")) << "MP4 lost the prompt metadata";
    const nlohmann::json prompt = nlohmann::json::parse(info.metadata.at("prompt"));
    EXPECT_EQ(prompt.at("3").at("class_type"), "SaveVideo");
    ASSERT_TRUE(info.metadata.count("workflow"));
    EXPECT_EQ(nlohmann::json::parse(info.metadata.at("workflow")).at("note"), "caf\u00e9");
    EXPECT_EQ(info.metadata.at("workflow").find("\xc3\xa9"), std::string::npos) << "non-ASCII is escaped as json.dumps does";

    // Back through LoadVideo + GetVideoComponents.
    const weft::RunResult loaded = vs.run(load_workflow("video/clip_00001_.mp4 [output]"), {.capture = {"2"}});
    ASSERT_TRUE(loaded.ok()) << VideoSession::errors(loaded);
    const weft::Tensor back = loaded.output("2", 0).as_tensor();
    ASSERT_EQ(weft::shape_string(back.shape()), weft::shape_string(frames.shape())) << "every frame comes back";
    EXPECT_DOUBLE_EQ(loaded.output("2", 2).as_float(), 24.0);
    EXPECT_TRUE(loaded.output("2", 1).is_null()) << "no audio in this video";
    const double db = weft::testing::psnr(frames, back);
    EXPECT_GE(db, 35.0) << "PSNR at the default quality";
    // Frame order: each decoded frame is closest to its own source frame.
    for (int64_t f = 0; f + 1 < 12; ++f) {
        auto frame = [](const weft::Tensor& t, int64_t i) {
            const int64_t n = t.size(1) * t.size(2) * 3;
            return weft::Tensor::from_vector({1, t.size(1), t.size(2), 3}, std::span<const float>(t.data<float>() + i * n, size_t(n)));
        };
        EXPECT_GT(weft::testing::psnr(frame(frames, f), frame(back, f)), weft::testing::psnr(frame(frames, f + 1), frame(back, f)));
    }
}

TEST(VideoMp4, FfprobeReadsTheFile) {
    WEFT_SKIP_WITHOUT_FFPROBE();
    VideoSession vs;
    const weft::RunResult saved = vs.run(save_workflow(VideoSession::feed(weft::testing::video_test_frames(9, 32, 40)), 12.5));
    ASSERT_TRUE(saved.ok()) << VideoSession::errors(saved);
    const nlohmann::json j = weft::testing::ffprobe(vs.saved_file(saved, "3"));
    ASSERT_TRUE(j.contains("streams"));
    const nlohmann::json& s = j.at("streams").at(0);
    EXPECT_EQ(s.at("codec_name"), "h264");
    EXPECT_EQ(s.at("pix_fmt"), "yuv420p");
    EXPECT_EQ(s.at("nb_read_frames"), "9");
    EXPECT_EQ(s.at("r_frame_rate"), "25/2");
    EXPECT_TRUE(j.at("format").at("tags").contains("prompt"));
}

TEST(VideoMp4, AudioIsKept) {
    VideoSession vs;
    const int64_t rate = 16000, samples = rate;  // one second, the length of 24 frames at 24 fps
    weft::Tensor wave = weft::Tensor::zeros({1, 2, samples});
    for (int64_t i = 0; i < samples; ++i) {
        wave.data<float>()[i] = 0.5f * std::sin(2.0f * float(M_PI) * 440.0f * float(i) / float(rate));
        wave.data<float>()[samples + i] = 0.25f * std::sin(2.0f * float(M_PI) * 660.0f * float(i) / float(rate));
    }
    weft::Workflow wf = save_workflow(VideoSession::feed(weft::testing::video_test_frames(24, 32, 32)), 24.0);
    wf.add("4", "TestFrames").set("key", VideoSession::feed(weft::Dict{{"waveform", wave}, {"sample_rate", rate}}));
    wf.find("2")->link("audio", "4", 0);
    const weft::RunResult saved = vs.run(wf);
    ASSERT_TRUE(saved.ok()) << VideoSession::errors(saved);
    const weft::media::VideoComponents c = weft::media::decode_video_file(vs.saved_file(saved, "3"));
    ASSERT_TRUE(c.audio.has_value());
    EXPECT_EQ(c.audio->sample_rate, rate);
    ASSERT_EQ(c.audio->waveform.size(1), 2);
    const int64_t n = c.audio->waveform.size(2);
    EXPECT_GE(n, samples * 9 / 10);
    EXPECT_LE(n, samples + 4096);
    // The tone survives AAC: the decoded signal correlates with the source at the encoder delay.
    const float* got = c.audio->waveform.data<float>();
    double best = 0;
    for (int64_t lag = 0; lag <= 2048; ++lag) {
        double dot = 0, e1 = 0, e2 = 0;
        for (int64_t i = 2000; i < 12000; ++i) {
            const double a = wave.data<float>()[i], b = got[i + lag];
            dot += a * b; e1 += a * a; e2 += b * b;
        }
        best = std::max(best, dot / std::sqrt(e1 * e2 + 1e-12));
    }
    EXPECT_GT(best, 0.95);
    if (!weft::testing::ffmpeg_tool("ffprobe").empty()) {
        const nlohmann::json j = weft::testing::ffprobe(vs.saved_file(saved, "3"));
        ASSERT_EQ(j.at("streams").size(), 2u);
        EXPECT_EQ(j.at("streams").at(1).at("codec_name"), "aac");
    }
}

TEST(VideoMp4, OddFrameSizeIsAClearErrorAndLeavesNoFile) {
    VideoSession vs;
    const weft::RunResult r = vs.run(save_workflow(VideoSession::feed(weft::testing::video_test_frames(3, 31, 40)), 24.0));
    ASSERT_FALSE(r.ok());
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->node_id, "3");
    EXPECT_NE(r.error->exception_message.find("40x31"), std::string::npos) << r.error->exception_message;
    EXPECT_NE(r.error->exception_message.find("even"), std::string::npos) << r.error->exception_message;
    EXPECT_TRUE(files_under(vs.folders().output).empty());
}

TEST(VideoMp4, ZeroFramesIsAClearError) {
    weft::testing::TempDir dir;
    weft::media::VideoEncodeOptions o;
    try {
        weft::media::encode_video(dir / "empty.mp4", weft::Tensor::zeros({0, 16, 16, 3}), o);
        FAIL() << "zero frames must not encode";
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "invalid_video");
        EXPECT_NE(std::string(e.what()).find("No frames"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(files_under(dir.path()).empty());
}

TEST(VideoMp4, CancelledEncodingLeavesNoFile) {
    weft::testing::TempDir dir;
    weft::media::VideoEncodeOptions o;
    const weft::Tensor frames = weft::testing::video_test_frames(6, 16, 16);
    EXPECT_THROW(weft::media::encode_video(dir / "x.mp4", frames, o, [](int64_t i) {
        if (i == 3) throw weft::Cancelled();
    }), weft::Cancelled);
    EXPECT_TRUE(files_under(dir.path()).empty()) << "the partial file is removed";
}

TEST(VideoMp4, CorruptTruncatedAndUnknownInputsAreClearErrors) {
    weft::testing::TempDir dir;
    const fs::path good = dir / "good.mp4";
    weft::media::VideoEncodeOptions o;
    o.fps = 10;
    weft::media::encode_video(good, weft::testing::video_test_frames(20, 32, 32), o);
    std::string bytes = weft::testing::read_text_file(good);

    auto expect_invalid = [](const fs::path& p, const std::string& what) {
        try {
            weft::media::decode_video_file(p);
            ADD_FAILURE() << what << " decoded without error";
        } catch (const weft::Error& e) {
            EXPECT_EQ(e.type(), "invalid_video") << what << ": " << e.what();
            EXPECT_EQ(e.path(), p.string()) << what;
        }
    };
    weft::testing::write_text_file(dir / "truncated.mp4", bytes.substr(0, bytes.size() / 2));
    expect_invalid(dir / "truncated.mp4", "a truncated MP4");
    weft::testing::write_text_file(dir / "garbage.mp4", std::string(4096, '\x5a'));
    expect_invalid(dir / "garbage.mp4", "garbage bytes");
    weft::testing::write_text_file(dir / "empty.mp4", "");
    expect_invalid(dir / "empty.mp4", "an empty file");

    // Flipped bytes in the middle of the coded frames.
    std::string corrupt = bytes;
    for (size_t i = corrupt.size() / 3; i < corrupt.size() * 2 / 3; i += 7) corrupt[i] = char(~corrupt[i]);
    weft::testing::write_text_file(dir / "corrupt.mp4", corrupt);
    try {
        const weft::media::VideoComponents c = weft::media::decode_video_file(dir / "corrupt.mp4");
        // FFmpeg conceals some damage; then every frame must still be there.
        EXPECT_EQ(c.images.size(0), 20);
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "invalid_video") << e.what();
    }

    try {
        weft::media::probe_video_file(dir / "missing.mp4");
        ADD_FAILURE() << "a missing file probed";
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "file_not_found");
    }
}

TEST(VideoMp4, LoadVideoOfABadFileFailsAtTheNode) {
    VideoSession vs;
    weft::testing::write_text_file(vs.folders().input / "broken.mp4", std::string(1000, '\x01'));
    const weft::RunResult r = vs.run(load_workflow("broken.mp4"));
    ASSERT_FALSE(r.ok());
    ASSERT_TRUE(r.error.has_value()) << VideoSession::errors(r);
    EXPECT_EQ(r.error->node_id, "1");
    EXPECT_NE(r.error->exception_message.find("broken.mp4"), std::string::npos) << r.error->exception_message;

    const weft::RunResult missing = vs.run(load_workflow("nothere.mp4"));
    EXPECT_FALSE(missing.ok());
    EXPECT_NE(VideoSession::errors(missing).find("Invalid video file"), std::string::npos) << VideoSession::errors(missing);
}

TEST(VideoMp4, UnknownCodecIsAClearError) {
    WEFT_SKIP_WITHOUT_FFPROBE();
    weft::testing::TempDir dir;
    // An AVI whose codec tag nobody knows: made with ffmpeg, then the FourCC is overwritten.
    const fs::path avi = dir / "clip.avi";
    const weft::testing::ProcessResult made = weft::testing::run_process(
        weft::testing::ffmpeg_tool("ffmpeg"),
        {"-v", "error", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5:duration=1", "-c:v", "mpeg4", "-vtag", "XVID", avi.string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    std::string bytes = weft::testing::read_text_file(avi);
    for (size_t p = bytes.find("XVID"); p != std::string::npos; p = bytes.find("XVID", p)) bytes.replace(p, 4, "QZQZ");
    for (size_t p = bytes.find("FMP4"); p != std::string::npos; p = bytes.find("FMP4", p)) bytes.replace(p, 4, "QZQZ");
    weft::testing::write_text_file(avi, bytes);
    try {
        weft::media::decode_video_file(avi);
        FAIL() << "an unknown codec decoded";
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.type(), "invalid_video");
        EXPECT_NE(std::string(e.what()).find("codec"), std::string::npos) << e.what();
    }
}

TEST(VideoMp4, VideoFromOtherContainersLoads) {
    WEFT_SKIP_WITHOUT_FFPROBE();
    VideoSession vs;
    fs::create_directories(vs.folders().input);
    // MJPEG in Matroska with an odd frame count and a 15 fps rate, made by ffmpeg itself.
    const weft::testing::ProcessResult made = weft::testing::run_process(
        weft::testing::ffmpeg_tool("ffmpeg"), {"-v", "error", "-f", "lavfi", "-i", "testsrc=size=48x36:rate=15:duration=1",
                                               "-c:v", "mjpeg", (vs.folders().input / "src.mkv").string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const weft::RunResult r = vs.run(load_workflow("src.mkv"), {.capture = {"2"}});
    ASSERT_TRUE(r.ok()) << VideoSession::errors(r);
    const weft::Tensor images = r.output("2", 0).as_tensor();
    EXPECT_EQ(weft::shape_string(images.shape()), "[15, 36, 48, 3]");
    EXPECT_DOUBLE_EQ(r.output("2", 2).as_float(), 15.0);
}
