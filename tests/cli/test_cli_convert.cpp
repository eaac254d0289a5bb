// `weft convert` and the other commands reading every workflow format (UI JSON, YAML).
#include "cli_test_util.h"
#include "media/png_io.h"

#include <map>

namespace {

using json = nlohmann::json;
using weft::testing::CliTest;
using weft::testing::source_dir;

json strip_meta(json api) {
    for (auto& [id, node] : api.items()) node.erase("_meta");
    return api;
}

std::string example(const char* name) { return (source_dir() / "workflows" / name).string(); }

class CliConvert : public CliTest {};

TEST_F(CliConvert, PrintsTheApiFormOfAUiWorkflow) {
    auto r = weft({"convert", example("invert.ui.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json expected = json::parse(weft::testing::read_text_file(example("invert.json")));
    EXPECT_EQ(strip_meta(json::parse(r.out)), strip_meta(expected)) << r.out;
    EXPECT_EQ(json::parse(r.out)["1"]["_meta"]["title"], "Canvas");
}

TEST_F(CliConvert, WritesToAFileAndReadsYaml) {
    auto r = weft({"convert", example("invert.yaml"), "-o", (dir / "out.json").string(), "--indent", "-1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.empty());
    json written = json::parse(weft::testing::read_text_file(dir / "out.json"));
    EXPECT_EQ(written, json::parse(weft::testing::read_text_file(example("invert.json"))));
}

TEST_F(CliConvert, ErrorsAndExitCodes) {
    EXPECT_EQ(weft({"convert", (dir / "missing.json").string()}).exit_code, 3);
    std::string bad = workflow("bad.json", json::parse(R"({"nodes": [{"id": 1, "type": "NoSuchNode", "mode": 0}], "links": []})"));
    auto r = weft({"convert", bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("NoSuchNode"), std::string::npos) << r.err;
}

TEST_F(CliConvert, ValidateAndRunAcceptUiAndYamlFiles) {
    for (const char* file : {"invert.ui.json", "invert.yaml", "subgraph.ui.json"}) {
        SCOPED_TRACE(file);
        auto v = weft({"validate", example(file)});
        EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    }
    auto r = weft({"run", example("subgraph.ui.json")});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(CliConvert, ImagesSavedByARunCarryTheirWorkflow) {
    auto r = weft({"run", example("invert.ui.json")});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::filesystem::path png;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "output"))
        if (e.path().extension() == ".png") png = e.path();
    ASSERT_FALSE(png.empty()) << "the run saved no PNG";
    auto c = weft({"convert", png.string()});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_EQ(strip_meta(json::parse(c.out)), strip_meta(json::parse(weft::testing::read_text_file(example("invert.json")))));
    // Both chunks are there: the API prompt and the UI workflow it came from.
    weft::media::PngImage first = weft::media::read_png(png);
    std::map<std::string, std::string> chunks;
    for (const auto& t : first.texts) chunks[t.key] = t.text;
    ASSERT_TRUE(chunks.count("prompt")) << "no prompt chunk";
    ASSERT_TRUE(chunks.count("workflow")) << "no workflow chunk";
    EXPECT_TRUE(json::parse(chunks["workflow"]).contains("nodes"));
    // Running the PNG again gives the same picture (into a fresh output folder, so the cache of a
    // new process cannot hide a difference).
    auto again = weft({"run", png.string(), "--output-dir", (dir / "again").string()});
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    std::filesystem::path png2;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "again"))
        if (e.path().extension() == ".png") png2 = e.path();
    ASSERT_FALSE(png2.empty()) << "the second run saved no PNG";
    weft::media::PngImage second = weft::media::read_png(png2);
    EXPECT_EQ(second.width, first.width);
    EXPECT_EQ(second.height, first.height);
    EXPECT_EQ(second.pixels, first.pixels);
    // A PNG without a workflow is rejected, naming the file.
    weft::testing::write_text_file(dir / "plain.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\0IEND\xae\x42\x60\x82", 12));
    auto none = weft({"convert", (dir / "plain.png").string()});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("plain.png"), std::string::npos) << none.err;
}

}  // namespace
