// The informational routes, /view, uploads and the jobs API, each answering under /api too.
#include "media/image_encode.h"
#include "media/png_io.h"
#include "server_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include <filesystem>
#include <fstream>

using namespace weft::server_test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {


}  // namespace

TEST(HttpRoutes, ObjectInfoListsNodesWithComfyUIKeys) {
    TestServer srv;
    const auto all = srv.get("/object_info");
    ASSERT_EQ(all.status, 200);
    const json j = all.json();
    ASSERT_TRUE(j.contains("SaveImage"));
    ASSERT_TRUE(j.contains("TestSlowCounter"));  // the server serves its configured registry
    for (const char* key : {"input", "input_order", "output", "output_is_list", "output_name", "name", "display_name", "description",
                            "python_module", "category", "output_node"})
        EXPECT_TRUE(j["SaveImage"].contains(key)) << key;
    EXPECT_EQ(j["SaveImage"]["output_node"], true);
    const json one = srv.get("/api/object_info/ImageInvert").json();
    ASSERT_EQ(one.size(), 1u);
    EXPECT_TRUE(one.contains("ImageInvert"));
    EXPECT_EQ(srv.get("/object_info/NoSuchNode").json(), json::object());
}

TEST(HttpRoutes, SystemStatsHasDocumentedKeys) {
    TestServer srv;
    const json j = srv.get("/system_stats").json();
    for (const char* key : {"os", "ram_total", "ram_free", "comfyui_version", "python_version", "pytorch_version", "embedded_python", "argv"})
        EXPECT_TRUE(j["system"].contains(key)) << key;
    ASSERT_EQ(j["devices"].size(), 1u);
    for (const char* key : {"name", "type", "index", "vram_total", "vram_free", "torch_vram_total", "torch_vram_free"})
        EXPECT_TRUE(j["devices"][0].contains(key)) << key;
    EXPECT_GT(j["system"]["ram_total"].get<uint64_t>(), 0u);
}

TEST(HttpRoutes, ModelsAndEmbeddingsListFolders) {
    TestServer srv;
    const fs::path models = srv.config().folders.models.front();
    write_bytes(models / "checkpoints" / "sd" / "tiny.safetensors", "x");
    write_bytes(models / "checkpoints" / "notes.txt", "not a model");
    write_bytes(models / "embeddings" / "easynegative.pt", "x");
    const json folders = srv.get("/models").json();
    EXPECT_NE(std::find(folders.begin(), folders.end(), "checkpoints"), folders.end());
    EXPECT_EQ(srv.get("/models/checkpoints").json(), json::array({"sd/tiny.safetensors"}));
    EXPECT_EQ(srv.get("/api/models/loras").json(), json::array());
    EXPECT_EQ(srv.get("/models/not_a_folder").status, 404);
    EXPECT_EQ(srv.get("/embeddings").json(), json::array({"easynegative"}));
}

TEST(HttpRoutes, ViewServesFilesAndRefusesEscapes) {
    TestServer srv;
    const auto& f = srv.config().folders;
    write_bytes(f.output / "sub" / "a.png", "PNGDATA");
    write_bytes(f.input / "b.png", "INPUTDATA");
    write_bytes(f.output / "page.html", "<script>alert(1)</script>");
    write_bytes(srv.root() / "secret.txt", "SECRET");

    auto r = srv.get("/view?filename=a.png&subfolder=sub&type=output");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "PNGDATA");
    EXPECT_EQ(r.headers["content-type"], "image/png");
    EXPECT_EQ(srv.get("/api/view?filename=b.png&type=input").body, "INPUTDATA");
    EXPECT_EQ(srv.get("/view?filename=b.png%20%5Binput%5D").body, "INPUTDATA");  // "b.png [input]"
    EXPECT_EQ(srv.get("/view?filename=page.html").headers["content-type"], "application/octet-stream");
    EXPECT_EQ(srv.get("/view?filename=missing.png").status, 404);
    EXPECT_EQ(srv.get("/view").status, 400);
    EXPECT_EQ(srv.get("/view?filename=a.png&type=elsewhere").status, 400);

    for (const char* bad : {"/view?filename=../secret.txt", "/view?filename=secret.txt&subfolder=..", "/view?filename=%2Fetc%2Fpasswd",
                            "/view?filename=x&subfolder=%2Ftmp", "/view?filename=..%2F..%2Fsecret.txt&type=input"}) {
        const auto e = srv.get(bad);
        EXPECT_EQ(e.status, 400) << bad;
        EXPECT_EQ(e.body.find("SECRET"), std::string::npos) << bad;
    }
    // A symlink inside the folder that leads out of it is refused too.
    fs::create_symlink(srv.root(), f.output / "escape");
    EXPECT_EQ(srv.get("/view?filename=secret.txt&subfolder=escape").status, 403);
}

TEST(HttpRoutes, UploadImageStoresDedupesAndRefusesPathTricks) {
    TestServer srv;
    const auto& f = srv.config().folders;
    auto upload = [&](const std::string& name, const std::string& data, std::vector<std::pair<std::string, std::string>> fields = {}) {
        const MultipartBody m = multipart({{"image", name, data}}, fields);
        return http_request(srv.port(), "POST", "/upload/image", m.body, m.content_type);
    };
    auto r = upload("cat.png", "AAAA");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json(), (json{{"name", "cat.png"}, {"subfolder", ""}, {"type", "input"}}));
    EXPECT_EQ(read_bytes(f.input / "cat.png"), "AAAA");
    EXPECT_EQ(upload("cat.png", "AAAA").json()["name"], "cat.png");      // identical content: same name
    EXPECT_EQ(upload("cat.png", "BBBB").json()["name"], "cat (1).png");  // different content: a new name
    EXPECT_EQ(read_bytes(f.input / "cat (1).png"), "BBBB");
    EXPECT_EQ(upload("cat.png", "CCCC", {{"overwrite", "true"}}).json()["name"], "cat.png");
    EXPECT_EQ(read_bytes(f.input / "cat.png"), "CCCC");
    const auto sub = upload("dog.png", "DDDD", {{"type", "temp"}, {"subfolder", "pets"}});
    EXPECT_EQ(sub.json(), (json{{"name", "dog.png"}, {"subfolder", "pets"}, {"type", "temp"}}));
    EXPECT_EQ(read_bytes(f.temp / "pets" / "dog.png"), "DDDD");
    // The uploaded file is then viewable.
    EXPECT_EQ(srv.get("/view?filename=dog.png&subfolder=pets&type=temp").body, "DDDD");

    for (const std::string& bad : {std::string("../evil.png"), std::string("/tmp/evil.png"), std::string("a/../../evil.png"), std::string("..")})
        EXPECT_EQ(upload(bad, "EVIL").status, 400) << bad;
    EXPECT_EQ(upload("ok.png", "EVIL", {{"subfolder", "../.."}}).status, 400);
    EXPECT_EQ(upload("ok.png", "EVIL", {{"type", "models"}}).status, 400);
    EXPECT_FALSE(fs::exists(srv.root() / "evil.png"));
    EXPECT_FALSE(fs::exists(f.input.parent_path().parent_path() / "evil.png"));
    EXPECT_EQ(http_request(srv.port(), "POST", "/upload/image", "not multipart", "text/plain").status, 400);
    const MultipartBody no_image = multipart({}, {{"type", "input"}});
    EXPECT_EQ(http_request(srv.port(), "POST", "/upload/image", no_image.body, no_image.content_type).status, 400);
}

TEST(HttpRoutes, UploadMaskNeedsAValidOriginalRef) {
    TestServer srv;
    // Real images: the mask is merged into the original (test_view_variants.cpp checks the pixels).
    const std::vector<uint8_t> pixels(2 * 2 * 4, 128);
    write_bytes(srv.config().folders.input / "photo.png", weft::media::encode_png(pixels, 2, 2, 4));
    const MultipartBody ok = multipart({{"image", "mask.png", weft::media::encode_png(pixels, 2, 2, 4)}},
                                       {{"original_ref", R"({"filename": "photo.png", "subfolder": "", "type": "input"})"}});
    const auto r = http_request(srv.port(), "POST", "/api/upload/mask", ok.body, ok.content_type);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["name"], "mask.png");
    const MultipartBody bad = multipart({{"image", "mask.png", "MASK"}}, {{"original_ref", R"({"filename": "../photo.png"})"}});
    EXPECT_EQ(http_request(srv.port(), "POST", "/upload/mask", bad.body, bad.content_type).status, 400);
    const MultipartBody none = multipart({{"image", "mask.png", "MASK"}}, {});
    EXPECT_EQ(http_request(srv.port(), "POST", "/upload/mask", none.body, none.content_type).status, 400);
}

TEST(HttpRoutes, JobsListShowsStatesAndCancels) {
    TestServer srv;
    const std::string done = srv.queue_prompt(invert_prompt()).json()["prompt_id"];
    ASSERT_FALSE(srv.wait_history(done).is_discarded());
    const std::string failed = srv.queue_prompt({{"1", {{"class_type", "TestFail"}, {"inputs", {{"message", "x"}}}}}}).json()["prompt_id"];
    ASSERT_FALSE(srv.wait_history(failed).is_discarded());
    const std::string running =
        srv.queue_prompt({{"1", {{"class_type", "TestSlowCounter"}, {"inputs", {{"steps", 500}, {"ms", 10}}}}}}).json()["prompt_id"];
    const std::string pending = srv.queue_prompt({{"1", {{"class_type", "TestSlowCounter"}, {"inputs", {{"steps", 1}, {"ms", 0}}}}}}).json()["prompt_id"];
    for (int i = 0; i < 300 && srv.get("/api/jobs/" + running).json()["status"] != "in_progress"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));

    const json list = srv.get("/api/jobs").json();
    ASSERT_EQ(list["jobs"].size(), 4u) << list.dump();
    EXPECT_EQ(list["pagination"]["total"], 4);
    std::map<std::string, std::string> status;
    for (const json& j : list["jobs"]) status[j["id"]] = j["status"];
    EXPECT_EQ(status[done], "completed");
    EXPECT_EQ(status[failed], "failed");
    EXPECT_EQ(status[running], "in_progress");
    EXPECT_EQ(status[pending], "pending");
    const json page = srv.get("/api/jobs?status=completed,failed&limit=1&offset=0").json();
    EXPECT_EQ(page["jobs"].size(), 1u);
    EXPECT_EQ(page["pagination"]["total"], 2);
    EXPECT_EQ(page["pagination"]["has_more"], true);
    EXPECT_EQ(srv.get("/api/jobs?status=bogus").status, 400);

    const json detail = srv.get("/api/jobs/" + done).json();
    EXPECT_EQ(detail["outputs_count"], 1);
    EXPECT_EQ(detail["preview_output"]["nodeId"], "3");
    EXPECT_EQ(srv.get("/api/jobs/no-such-job").status, 404);

    EXPECT_EQ(srv.post("/api/jobs/" + pending + "/cancel", "{}").json()["cancelled"], true);
    EXPECT_EQ(srv.post("/api/jobs/" + running + "/cancel", "{}").json()["cancelled"], true);
    EXPECT_EQ(srv.post("/api/jobs/" + done + "/cancel", "{}").json()["cancelled"], false);
    const json h = srv.wait_history(running, std::chrono::seconds(10));
    ASSERT_FALSE(h.is_discarded());
    EXPECT_EQ(srv.get("/api/jobs/" + running).json()["status"], "cancelled");
    EXPECT_EQ(srv.get("/api/jobs/" + pending).status, 404);
}
