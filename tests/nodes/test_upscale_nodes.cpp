// UpscaleModelLoader and ImageUpscaleWithModel end to end: LoadImage -> UpscaleModelLoader ->
// ImageUpscaleWithModel -> SaveImage on tiny random models written here; progress per tile,
// cancellation between tiles, the file hash in the cache key, and unknown architectures.
#include "families/upscale/upscale_model.h"
#include "node_runner.h"
#include "media/png_io.h"
#include "tiny_upscalers.h"

#include <weft/weft.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using namespace weft;
using namespace weft::testing;

namespace {

/// Writes a random RGB PNG into the input folder; returns its pixels as an IMAGE [1, H, W, 3].
Tensor write_input_png(const NodeRunner& nr, const std::string& name, int w, int h, uint32_t seed) {
    std::vector<uint8_t> px(static_cast<size_t>(w * h * 3));
    std::mt19937 rng(seed);
    for (uint8_t& p : px) p = static_cast<uint8_t>(rng() & 0xff);
    fs::create_directories(nr.folders().input);
    media::write_png(nr.folders().input / name, px, w, h, 3);
    std::vector<float> v(px.size());
    for (size_t i = 0; i < px.size(); ++i) v[i] = static_cast<float>(px[i]) / 255.0f;
    return Tensor::from_vector({1, h, w, 3}, v);
}

fs::path model_path(const NodeRunner& nr, const std::string& name) { return nr.folders().models.front() / "upscale_models" / name; }

Workflow upscale_workflow(const std::string& model, const std::string& image) {
    Workflow wf;
    wf.add("1", "LoadImage").set("image", image);
    wf.add("2", "UpscaleModelLoader").set("model_name", model);
    wf.add("3", "ImageUpscaleWithModel").link("upscale_model", "2", 0).link("image", "1", 0);
    wf.add("4", "SaveImage").link("images", "3", 0).set("filename_prefix", "up");
    return wf;
}

/// The upscaler applied directly (NHWC -> NCHW, forward, clamp, back), for comparison.
Tensor direct_upscale(const fs::path& model, const Tensor& nhwc) {
    const auto m = upscale::load_upscale_model(model.string());
    Tensor y = m->forward(nhwc.permute({0, 3, 1, 2}).contiguous());
    float* p = y.data<float>();
    for (int64_t i = 0; i < y.numel(); ++i) p[i] = std::clamp(p[i], 0.0f, 1.0f);
    return y.permute({0, 2, 3, 1}).contiguous();
}

}  // namespace

TEST(UpscaleNodes, WorkflowUpscalesAndSavesThePicture) {
    NodeRunner nr;
    const Tensor img = write_input_png(nr, "in.png", 13, 9, 1);
    RrdbSpec s;
    s.upsamples = 1;
    write_model(model_path(nr, "tiny_x2.safetensors"), rrdb_in_layout(tiny_rrdb(s, 2), s, "new"));

    const RunResult r = nr.run(upscale_workflow("tiny_x2.safetensors", "in.png"), {"3"});
    ASSERT_TRUE(r.ok());
    const Tensor& out = r.output("3", 0).as_tensor();
    ASSERT_EQ(out.shape(), (Shape{1, 18, 26, 3}));
    const Tensor want = direct_upscale(model_path(nr, "tiny_x2.safetensors"), img);
    for (int64_t i = 0; i < want.numel(); ++i) ASSERT_NEAR(out.data<float>()[i], want.data<float>()[i], 1e-6) << i;

    // SaveImage wrote the upscaled picture: bytes are trunc(255·x).
    const std::string file = r.ui.at("4").at("images").as_list().at(0).as_dict().at("filename").as_string();
    const media::PngImage png = media::read_png(nr.folders().output / file);
    ASSERT_EQ(png.width, 26);
    ASSERT_EQ(png.height, 18);
    for (int64_t i = 0; i < want.numel(); ++i)
        ASSERT_EQ(png.pixels[static_cast<size_t>(i)], static_cast<uint16_t>(255.0f * out.data<float>()[i])) << i;
}

TEST(UpscaleNodes, ProgressIsReportedPerTile) {
    NodeRunner nr;
    write_input_png(nr, "wide.png", 1000, 6, 3);  // tiles start at x = 0, 480, 960
    SrvggSpec s;
    s.feat = 4;
    s.convs = 1;
    s.scale = 1;
    write_model(model_path(nr, "compact_x1.safetensors"), tiny_srvgg(s, 4));
    std::vector<std::pair<double, double>> seen;
    RunOptions o;
    const RunResult r = nr.session().run(upscale_workflow("compact_x1.safetensors", "wide.png"), o, [&](const Event& e) {
        if (e.type == EventType::Progress && e.node_id == "3") seen.emplace_back(e.value, e.max);
    });
    ASSERT_TRUE(r.ok());
    const int64_t tiles = static_cast<int64_t>(upscale::tile_starts(1000, 512, 32).size());
    ASSERT_GT(tiles, 1);
    ASSERT_EQ(seen.size(), static_cast<size_t>(tiles));
    for (size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].first, static_cast<double>(i + 1));
        EXPECT_EQ(seen[i].second, static_cast<double>(tiles));
    }
}

TEST(UpscaleNodes, CancelStopsBetweenTiles) {
    NodeRunner nr;
    write_input_png(nr, "wide.png", 1500, 5, 5);  // 4 tiles along x
    SrvggSpec s;
    s.feat = 4;
    s.convs = 1;
    s.scale = 1;
    write_model(model_path(nr, "c.safetensors"), tiny_srvgg(s, 6));
    std::atomic<bool> first_tile{false}, cancelled{false};
    int progress_events = 0;
    std::thread canceller([&] {
        for (int i = 0; i < 2000 && !first_tile; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        nr.session().cancel();
        cancelled = true;
    });
    RunOptions o;
    const RunResult r = nr.session().run(upscale_workflow("c.safetensors", "wide.png"), o, [&](const Event& e) {
        if (e.type != EventType::Progress || e.node_id != "3") return;
        ++progress_events;
        first_tile = true;
        // Hold the node at its first tile until cancel() went through.
        for (int i = 0; i < 2000 && !cancelled; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    canceller.join();
    EXPECT_EQ(r.status, RunStatus::Interrupted);
    EXPECT_EQ(progress_events, 1) << "no tile after the cancel";
}

TEST(UpscaleNodes, LoaderIsCachedUntilTheFileChanges) {
    NodeRunner nr;
    write_input_png(nr, "in.png", 8, 8, 7);
    SrvggSpec s;
    s.feat = 4;
    s.convs = 1;
    s.scale = 2;
    write_model(model_path(nr, "m.safetensors"), tiny_srvgg(s, 8));
    const Workflow wf = upscale_workflow("m.safetensors", "in.png");
    const RunResult a = nr.run(wf, {"3"});
    std::vector<std::string> cached;
    RunOptions o;
    o.capture = {"3"};
    const RunResult b = nr.session().run(wf, o, [&](const Event& e) {
        if (e.type == EventType::ExecutionCached) cached = e.nodes;
    });
    ASSERT_TRUE(b.ok());
    EXPECT_NE(std::find(cached.begin(), cached.end(), "2"), cached.end()) << "unchanged file: the loader is a cache hit";

    write_model(model_path(nr, "m.safetensors"), tiny_srvgg(s, 9));  // new weights, same name
    const RunResult c = nr.run(wf, {"3"});
    ASSERT_TRUE(c.ok());
    const Tensor& ya = a.output("3", 0).as_tensor();
    const Tensor& yc = c.output("3", 0).as_tensor();
    double diff = 0;
    for (int64_t i = 0; i < ya.numel(); ++i) diff = std::max(diff, std::abs(double(ya.data<float>()[i]) - yc.data<float>()[i]));
    EXPECT_GT(diff, 1e-3) << "a replaced model file must be reloaded";
}

TEST(UpscaleNodes, UnknownArchitectureIsAClearErrorNamingTheFile) {
    NodeRunner nr;
    write_input_png(nr, "in.png", 8, 8, 10);
    write_model(model_path(nr, "swinir_x4.safetensors"), TensorMap{{"layers.0.residual_group.blocks.0.norm1.weight", Tensor::zeros({4})}});
    const RunResult r = nr.run(upscale_workflow("swinir_x4.safetensors", "in.png"), {}, false);
    ASSERT_FALSE(r.ok());
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->node_id, "2");
    EXPECT_NE(r.error->exception_message.find("swinir_x4.safetensors"), std::string::npos) << r.error->exception_message;
    EXPECT_NE(r.error->exception_message.find("unknown upscale model architecture"), std::string::npos) << r.error->exception_message;
}
