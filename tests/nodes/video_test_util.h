// tests/nodes/video_test_util.h — shared by the video and animation tests: synthetic frames, a
// session whose workflows can start from them, PSNR, and ffprobe/ffmpeg runs.
#pragma once

#include "process_runner.h"

#include <weft/weft.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace weft::testing {

/// `n` frames [n,h,w,3]: smooth gradients that drift with time plus a square that moves, so that
/// every frame differs and frame order matters.
inline Tensor video_test_frames(int64_t n, int64_t h, int64_t w, int channels = 3) {
    Tensor t = Tensor::zeros({n, h, w, channels});
    float* d = t.data<float>();
    for (int64_t f = 0; f < n; ++f)
        for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < w; ++x) {
                float* p = d + ((f * h + y) * w + x) * channels;
                const bool in_square = std::abs(x - (4 + 3 * f) % w) < 5 && std::abs(y - h / 2) < 5;
                const float r = 0.5f + 0.4f * std::sin(0.11f * float(x) + 0.3f * float(f));
                const float g = 0.5f + 0.4f * std::cos(0.13f * float(y) - 0.2f * float(f));
                const float b = in_square ? 0.95f : 0.2f + 0.6f * float(x + y) / float(w + h);
                const float rgb[3] = {r, g, b};
                for (int c = 0; c < channels; ++c) p[c] = c < 3 ? rgb[c] : 0.5f + 0.5f * float((x + f) % 2);
            }
    return t;
}

/// Peak signal-to-noise ratio in dB between two IMAGE batches of the same shape (values 0..1).
inline double psnr(const Tensor& a, const Tensor& b) {
    EXPECT_EQ(shape_string(a.shape()), shape_string(b.shape()));
    if (a.shape() != b.shape()) return 0;
    const Tensor x = a.contiguous(), y = b.contiguous();
    double se = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
        const double e = double(x.data<float>()[i]) - double(y.data<float>()[i]);
        se += e * e;
    }
    const double mse = se / double(x.numel());
    return mse == 0 ? INFINITY : 10.0 * std::log10(1.0 / mse);
}

/// Values fed into workflows by "TestFrames" nodes, by key.
inline std::map<std::string, Value>& test_frame_store() {
    static std::map<std::string, Value> store;
    return store;
}
inline std::mutex& test_frame_mutex() {
    static std::mutex mu;
    return mu;
}

/// A session over the built-in nodes plus "TestFrames" (outputs the value stored under its "key"
/// as IMAGE, AUDIO or anything), with its folders in a fresh temporary directory.
class VideoSession {
public:
    VideoSession() : session_(make_registry(), options(dir_.path())) {}

    /// Stores `v` for a TestFrames node and returns its key.
    static std::string feed(Value v) {
        std::lock_guard lock(test_frame_mutex());
        const std::string key = "k" + std::to_string(test_frame_store().size());
        test_frame_store()[key] = std::move(v);
        return key;
    }

    RunResult run(const Workflow& wf, RunOptions ro = {}) { return session_.run(wf, ro); }
    const Folders& folders() const { return session_.options().folders; }
    const std::filesystem::path& dir() const { return dir_.path(); }

    /// The file a save node's ui result names (first entry).
    std::filesystem::path saved_file(const RunResult& r, const std::string& node) const {
        const Dict& d = r.ui.at(node).at("images").as_list().at(0).as_dict();
        std::filesystem::path p = folders().output;
        if (!d.at("subfolder").as_string().empty()) p /= d.at("subfolder").as_string();
        return p / d.at("filename").as_string();
    }

    static std::string errors(const RunResult& r) {
        std::ostringstream s;
        if (r.error) s << r.error->exception_type << ": " << r.error->exception_message;
        for (const auto& [id, ne] : r.validation.node_errors)
            for (const auto& e : ne.errors) s << " [" << id << "] " << e.message << " " << e.details;
        if (r.validation.error) s << " " << r.validation.error->message << " " << r.validation.error->details;
        return s.str();
    }

private:
    static std::shared_ptr<NodeRegistry> make_registry() {
        auto reg = builtin_registry();
        NodeDefinition d{NodeSchema("TestFrames").required(Input::string("key")).output("*")};
        d.execute = [](NodeContext& ctx) {
            std::lock_guard lock(test_frame_mutex());
            ctx.set_output(0, test_frame_store().at(ctx.get_string("key")));
        };
        reg->add(std::move(d));
        return reg;
    }
    static SessionOptions options(const std::filesystem::path& root) {
        SessionOptions o;
        o.folders.input = root / "input";
        o.folders.output = root / "output";
        o.folders.temp = root / "temp";
        o.folders.user = root / "user";
        o.folders.models = {root / "models"};
        return o;
    }

    TempDir dir_{"weft-video"};
    Session session_;
};

/// The path of an FFmpeg tool, or empty when it is not installed.
inline std::filesystem::path ffmpeg_tool(const std::string& name) {
    for (const char* dir : {"/usr/bin", "/usr/local/bin"}) {
        const std::filesystem::path p = std::filesystem::path(dir) / name;
        if (std::filesystem::exists(p)) return p;
    }
    return {};
}

/// ffprobe's JSON description of `file` (streams with counted frames, format with tags); a test
/// failure when ffprobe cannot read it.
inline nlohmann::json ffprobe(const std::filesystem::path& file) {
    const ProcessResult r = run_process(ffmpeg_tool("ffprobe"), {"-v", "error", "-count_frames", "-show_streams",
                                                                 "-show_format", "-of", "json", file.string()});
    EXPECT_EQ(r.exit_code, 0) << "ffprobe cannot read " << file << ": " << r.err;
    if (r.exit_code != 0) return nlohmann::json::object();
    return nlohmann::json::parse(r.out);
}

#define WEFT_SKIP_WITHOUT_FFPROBE()                                                                      \
    do {                                                                                                 \
        if (weft::testing::ffmpeg_tool("ffprobe").empty() || weft::testing::ffmpeg_tool("ffmpeg").empty()) \
            GTEST_SKIP() << "ffprobe/ffmpeg not installed (Debian package ffmpeg); skipping the check";   \
    } while (0)

}  // namespace weft::testing
