// Latent previews on /ws: a sampling prompt on weft's demo checkpoint sends one binary frame per
// sampler step, type 1 ([u32 1][u32 1 = JPEG][JPEG]) or, to clients that negotiated
// supports_preview_metadata, type 4 ([u32 4][u32 n][n bytes of JSON][JPEG]); routed like progress;
// none when previews are off (server option or the prompt's extra_data.preview_method).
#include "demo_txt2img.h"
#include "process_runner.h"
#include "media/image_encode.h"
#include "media/png_io.h"
#include "server/raster_image.h"
#include "server_harness.h"

#include <weft/weft.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

using namespace weft::server_test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kSteps = 3;
constexpr int kWidth = 64, kHeight = 48;  // latent 8 x 6: not square, so orientation shows

uint32_t be32(const std::string& s, size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
    return v;
}

struct Frames {
    std::vector<std::string> texts;      // JSON texts in order
    std::vector<std::string> binaries;   // binary frames in order
    std::vector<int> progress_before;    // per binary frame: the last progress value of node 3 seen before it
};

// Every message until `prompt_id`'s end marker.
Frames until_end(WsClient& ws, const std::string& prompt_id) {
    Frames f;
    int progress = 0;
    while (auto m = ws.next(std::chrono::seconds(60))) {
        if (m->binary) {
            f.binaries.push_back(m->data);
            f.progress_before.push_back(progress);
            continue;
        }
        f.texts.push_back(m->data);
        const json j = json::parse(m->data, nullptr, false);
        if (j.value("type", "") == "progress" && j["data"].value("node", "") == "3") progress = j["data"]["value"].get<int>();
        if (is_run_end(j, prompt_id)) break;
    }
    return f;
}

void greet(WsClient& ws, bool metadata) {
    ASSERT_EQ(ws.next_json()["type"], "status");
    if (!metadata) return;
    ws.send_text(R"({"type": "feature_flags", "data": {"supports_preview_metadata": true}})");
    ASSERT_EQ(ws.next_json(std::chrono::seconds(5))["type"], "feature_flags");
}

void use_demo_models(weft::server::ServerConfig& c) { c.folders.models = {weft::testing::demo_models_root()}; }

// The previews the same prompt publishes in-process (deterministic: same latents, same pixels).
const std::vector<weft::Tensor>& expected_previews() {
    static const std::vector<weft::Tensor> images = [] {
        const fs::path tmp = fs::temp_directory_path() / ("weft-preview-expected-" + std::to_string(::getpid()));
        weft::SessionOptions so;
        so.folders.models = {weft::testing::demo_models_root()};
        so.folders.temp = tmp / "temp";
        so.folders.output = tmp / "output";
        so.threads = 2;
        weft::Session session(weft::builtin_registry(), so);
        weft::RunOptions ro;
        ro.previews = true;
        std::vector<weft::Tensor> out;
        const auto wf = weft::Workflow::parse(weft::testing::demo_txt2img_prompt("KSampler", kWidth, kHeight, kSteps).dump());
        session.run(wf, ro, [&](const weft::Event& e) {
            if (e.type == weft::EventType::Preview) out.push_back(e.image);
        });
        std::error_code ec;
        fs::remove_all(tmp, ec);
        return out;
    }();
    return images;
}

// The JPEG decodes to the expected preview's size and its luma matches: JPEG at quality 95 keeps
// luma within a few levels even on the noise-like, often saturated (clipping) pictures of the
// demo model (measured: mean 6, worst under 32), while 4:2:0 chroma
// cannot carry per-pixel colour noise on an 8 x 6 image, so colour is checked through the bytes:
// the payload is exactly the quality-95 JPEG of the expected preview.
double luma(const uint8_t* p) { return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]; }

void expect_jpeg_matches(const std::string& jpeg, const weft::Tensor& want) {
    const weft::server::RasterImage img = weft::server::decode_raster(jpeg);
    ASSERT_EQ(img.height, want.size(0));
    ASSERT_EQ(img.width, want.size(1));
    double sum = 0, worst = 0;
    const uint8_t* w = want.data<uint8_t>();
    for (int64_t i = 0; i < int64_t(img.width) * img.height; ++i) {
        const double d = std::fabs(luma(&img.rgba[size_t(i * 4)]) - luma(w + i * 3));
        sum += d;
        worst = std::max(worst, d);
    }
    EXPECT_LT(sum / double(img.width * img.height), 10.0);
    EXPECT_LT(worst, 32.0);
    const std::string again = weft::media::encode_jpeg(std::span<const uint8_t>(w, size_t(want.numel())), int(want.size(1)), int(want.size(0)), 95);
    EXPECT_TRUE(jpeg == again) << "the frame does not carry the expected preview";
}

// Another seed gives another prompt (an identical one would be served from the cache, no sampling).
json sampling_prompt(int seed = 7) {
    json p = weft::testing::demo_txt2img_prompt("KSampler", kWidth, kHeight, kSteps);
    p["3"]["inputs"]["seed"] = seed;
    return p;
}

}  // namespace

TEST(WsPreviews, OneJpegFramePerStepMatchingLatent2Rgb) {
    TestServer srv(use_demo_models);
    WsClient ws(srv.port(), "/ws?clientId=painter");
    WsClient other(srv.port(), "/ws?clientId=bystander");
    greet(ws, false);
    greet(other, false);
    const auto r = srv.queue_prompt(sampling_prompt(), {{"client_id", "painter"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const Frames f = until_end(ws, r.json()["prompt_id"]);
    const auto& want = expected_previews();
    ASSERT_EQ(want.size(), size_t(kSteps));
    ASSERT_EQ(f.binaries.size(), size_t(kSteps));
    for (size_t i = 0; i < f.binaries.size(); ++i) {
        const std::string& b = f.binaries[i];
        ASSERT_GT(b.size(), 8u);
        EXPECT_EQ(be32(b, 0), 1u);  // PREVIEW_IMAGE
        EXPECT_EQ(be32(b, 4), 1u);  // JPEG
        EXPECT_EQ(static_cast<uint8_t>(b[8]), 0xFF);
        EXPECT_EQ(static_cast<uint8_t>(b[9]), 0xD8);
        expect_jpeg_matches(b.substr(8), want[i]);
        // Each step's preview follows that step's progress message, as in ComfyUI.
        EXPECT_EQ(f.progress_before[i], int(i) + 1);
    }
    // A client of another id sees none of them.
    for (const auto& m : other.drain(std::chrono::milliseconds(300))) EXPECT_FALSE(m.binary);
}

TEST(WsPreviews, MetadataClientsGetType4Only) {
    TestServer srv(use_demo_models);
    WsClient ws(srv.port(), "/ws?clientId=modern");
    greet(ws, true);
    const auto r = srv.queue_prompt(sampling_prompt(), {{"client_id", "modern"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string id = r.json()["prompt_id"];
    const Frames f = until_end(ws, id);
    ASSERT_EQ(f.binaries.size(), size_t(kSteps));
    for (size_t i = 0; i < f.binaries.size(); ++i) {
        const std::string& b = f.binaries[i];
        ASSERT_GT(b.size(), 8u);
        EXPECT_EQ(be32(b, 0), 4u);  // PREVIEW_IMAGE_WITH_METADATA
        const uint32_t n = be32(b, 4);
        ASSERT_LE(8u + n, b.size());
        const json meta = json::parse(b.substr(8, n));
        EXPECT_EQ(meta["node_id"], "3");
        EXPECT_EQ(meta["prompt_id"], id);
        EXPECT_EQ(meta["display_node_id"], "3");
        EXPECT_TRUE(meta["parent_node_id"].is_null());
        EXPECT_EQ(meta["real_node_id"], "3");
        EXPECT_EQ(meta["image_type"], "image/jpeg");
        expect_jpeg_matches(b.substr(8 + n), expected_previews()[i]);
    }
}

TEST(WsPreviews, PromptWithoutClientIdSendsPreviewsToEveryone) {
    TestServer srv(use_demo_models);
    WsClient plain(srv.port(), "/ws?clientId=plain");
    WsClient modern(srv.port(), "/ws?clientId=modern");
    greet(plain, false);
    greet(modern, true);
    const auto r = srv.queue_prompt(sampling_prompt());
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_FALSE(srv.wait_history(r.json()["prompt_id"]).is_discarded());
    auto binaries = [](WsClient& ws) {
        std::vector<uint32_t> types;
        for (const auto& m : ws.drain(std::chrono::milliseconds(300)))
            if (m.binary) types.push_back(be32(m.data, 0));
        return types;
    };
    EXPECT_EQ(binaries(plain), std::vector<uint32_t>(kSteps, 1u));
    EXPECT_EQ(binaries(modern), std::vector<uint32_t>(kSteps, 4u));
}

TEST(WsPreviews, NoFramesWhenPreviewsAreOff) {
    {
        // The server's --preview-method none...
        TestServer srv([](weft::server::ServerConfig& c) {
            use_demo_models(c);
            c.preview_method = weft::server::PreviewMethod::None;
        });
        WsClient ws(srv.port(), "/ws?clientId=quiet");
        greet(ws, false);
        const auto r = srv.queue_prompt(sampling_prompt(), {{"client_id", "quiet"}});
        const Frames f = until_end(ws, r.json()["prompt_id"]);
        EXPECT_TRUE(f.binaries.empty());
        EXPECT_FALSE(f.texts.empty());
        // ...which a prompt may override.
        const auto r2 = srv.queue_prompt(sampling_prompt(8), {{"client_id", "quiet"}, {"extra_data", {{"preview_method", "auto"}}}});
        EXPECT_EQ(until_end(ws, r2.json()["prompt_id"]).binaries.size(), size_t(kSteps));
    }
    {
        // A prompt's extra_data.preview_method none on a server with previews on; "default" keeps the server's.
        TestServer srv(use_demo_models);
        WsClient ws(srv.port(), "/ws?clientId=quiet");
        greet(ws, false);
        const auto r = srv.queue_prompt(sampling_prompt(), {{"client_id", "quiet"}, {"extra_data", {{"preview_method", "none"}}}});
        EXPECT_TRUE(until_end(ws, r.json()["prompt_id"]).binaries.empty());
        const auto r2 = srv.queue_prompt(sampling_prompt(8), {{"client_id", "quiet"}, {"extra_data", {{"preview_method", "default"}}}});
        EXPECT_EQ(until_end(ws, r2.json()["prompt_id"]).binaries.size(), size_t(kSteps));
    }
}

TEST(WsPreviews, ServeCommandTakesAPreviewMethod) {
    const auto help = weft::testing::run_process(WEFT_CLI_PATH, {"serve", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--preview-method"), std::string::npos) << help.out;
    const auto bad = weft::testing::run_process(WEFT_CLI_PATH, {"serve", "--preview-method", "sepia", "--port", "0"});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find("preview-method"), std::string::npos) << bad.err;
}

TEST(WsPreviews, PreviewMethodNames) {
    using weft::server::parse_preview_method;
    using weft::server::PreviewMethod;
    EXPECT_EQ(parse_preview_method("none"), PreviewMethod::None);
    EXPECT_EQ(parse_preview_method("latent2rgb"), PreviewMethod::Latent2Rgb);
    EXPECT_EQ(parse_preview_method("auto"), PreviewMethod::Latent2Rgb);
    EXPECT_EQ(parse_preview_method("taesd"), PreviewMethod::Latent2Rgb);  // no TAESD decoder: Latent2RGB
    EXPECT_EQ(parse_preview_method("default"), std::nullopt);             // the server's choice
    EXPECT_EQ(parse_preview_method("sepia"), std::nullopt);
}
