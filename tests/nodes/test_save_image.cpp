// SaveImage and PreviewImage: file names and counters, subfolders, tokens, refusal of prefixes
// that leave the folder, pixels, and the workflow metadata read back with libpng.
#include "node_runner.h"
#include "nodes/output_path.h"

#include <weft/weft.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <regex>

namespace fs = std::filesystem;
using weft::testing::NodeRunner;

namespace {

struct ReadPng {
    int width = 0, height = 0, channels = 0, bit_depth = 0;
    std::vector<uint8_t> pixels;
    std::map<std::string, std::string> text;
    std::vector<std::string> text_order;
};

// An independent reader (libpng's classic API) so the writer is checked against libpng itself.
bool read_png_file(const fs::path& path, ReadPng& out) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    std::vector<png_bytep> rows;
    bool ok = false;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, f);
        png_read_info(png, info);
        out.width = int(png_get_image_width(png, info));
        out.height = int(png_get_image_height(png, info));
        out.channels = png_get_channels(png, info);
        out.bit_depth = png_get_bit_depth(png, info);
        const size_t stride = png_get_rowbytes(png, info);
        out.pixels.resize(stride * size_t(out.height));
        rows.resize(size_t(out.height));
        for (int y = 0; y < out.height; ++y) rows[size_t(y)] = out.pixels.data() + size_t(y) * stride;
        png_read_image(png, rows.data());
        png_textp text = nullptr;
        const int n = png_get_text(png, info, &text, nullptr);
        for (int i = 0; i < n; ++i) {
            out.text[text[i].key] = text[i].text;
            out.text_order.push_back(text[i].key);
        }
        ok = true;
    }
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(f);
    return ok;
}

weft::Workflow save_workflow(const std::string& prefix, int64_t batch = 1, int64_t color = 0x336699) {
    weft::Workflow wf;
    wf.add("1", "EmptyImage").set("width", 6).set("height", 4).set("batch_size", batch).set("color", color);
    wf.add("2", "SaveImage").link("images", "1", 0).set("filename_prefix", prefix);
    return wf;
}

std::vector<std::string> filenames(const weft::RunResult& r, const std::string& node) {
    std::vector<std::string> out;
    for (const weft::Value& v : r.ui.at(node).at("images").as_list()) out.push_back(v.as_dict().at("filename").as_string());
    return out;
}

}  // namespace

TEST(SaveImage, WritesPngsWithComfyUINamesAndUi) {
    NodeRunner nr;
    const weft::RunResult r = nr.run(save_workflow("shot", 2));
    const weft::List& images = r.ui.at("2").at("images").as_list();
    ASSERT_EQ(images.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const weft::Dict& d = images[i].as_dict();
        EXPECT_EQ(d.at("filename").as_string(), i == 0 ? "shot_00001_.png" : "shot_00002_.png");
        EXPECT_EQ(d.at("subfolder").as_string(), "");
        EXPECT_EQ(d.at("type").as_string(), "output");
        ReadPng png;
        ASSERT_TRUE(read_png_file(nr.folders().output / d.at("filename").as_string(), png));
        EXPECT_EQ(png.width, 6);
        EXPECT_EQ(png.height, 4);
        EXPECT_EQ(png.channels, 3);
        EXPECT_EQ(png.bit_depth, 8);
        for (size_t p = 0; p < png.pixels.size(); p += 3) {
            ASSERT_EQ(png.pixels[p], 0x33);
            ASSERT_EQ(png.pixels[p + 1], 0x66);
            ASSERT_EQ(png.pixels[p + 2], 0x99);
        }
    }
}

TEST(SaveImage, CounterContinuesAfterTheHighestExistingFile) {
    NodeRunner nr;
    const fs::path out = nr.folders().output;
    fs::create_directories(out);
    for (const char* name : {"shot_00003_.png", "shot_00041_.png", "shot_7_.png", "shot_abc_.png", "other_00099_.png",
                             "shotx_00500_.png"})
        weft::testing::write_text_file(out / name, "x");
    const weft::RunResult r = nr.run(save_workflow("shot", 2));
    EXPECT_EQ(filenames(r, "2"), (std::vector<std::string>{"shot_00042_.png", "shot_00043_.png"}));
    EXPECT_TRUE(fs::exists(out / "shot_00042_.png"));
    EXPECT_TRUE(fs::exists(out / "shot_00043_.png"));
}

TEST(SaveImage, BatchNumberTokenInTheName) {
    NodeRunner nr;
    const weft::RunResult r = nr.run(save_workflow("b%batch_num%", 3));
    EXPECT_EQ(filenames(r, "2"), (std::vector<std::string>{"b0_00001_.png", "b1_00002_.png", "b2_00003_.png"}));
}

TEST(SaveImage, SubfoldersInThePrefix) {
    NodeRunner nr;
    const weft::RunResult r = nr.run(save_workflow("portraits/./day1//face"));
    const weft::Dict& d = r.ui.at("2").at("images").as_list().at(0).as_dict();
    EXPECT_EQ(d.at("subfolder").as_string(), "portraits/day1");
    EXPECT_EQ(d.at("filename").as_string(), "face_00001_.png");
    EXPECT_TRUE(fs::exists(nr.folders().output / "portraits" / "day1" / "face_00001_.png"));

    // ".." that stays inside the folder is fine.
    const weft::RunResult r2 = nr.run(save_workflow("a/../b/pic"));
    EXPECT_EQ(r2.ui.at("2").at("images").as_list().at(0).as_dict().at("subfolder").as_string(), "b");
    EXPECT_TRUE(fs::exists(nr.folders().output / "b" / "pic_00001_.png"));
}

TEST(SaveImage, SizeAndDateTokens) {
    NodeRunner nr;
    const std::time_t t = std::time(nullptr);
    std::tm now{};
    localtime_r(&t, &now);
    const weft::RunResult r = nr.run(save_workflow("%width%x%height%/y%year%"));
    const weft::Dict& d = r.ui.at("2").at("images").as_list().at(0).as_dict();
    EXPECT_EQ(d.at("subfolder").as_string(), "6x4");
    EXPECT_EQ(d.at("filename").as_string(), "y" + std::to_string(now.tm_year + 1900) + "_00001_.png");

    std::tm fixed{};
    fixed.tm_year = 2024 - 1900;
    fixed.tm_mon = 2;  // March
    fixed.tm_mday = 5;
    fixed.tm_hour = 7;
    fixed.tm_min = 8;
    fixed.tm_sec = 9;
    EXPECT_EQ(weft::nodes::expand_prefix_tokens("%year%-%month%-%day%_%hour%%minute%%second%_%width%", 640, 480, fixed),
              "2024-03-05_070809_640");
    EXPECT_EQ(weft::nodes::expand_prefix_tokens("%unknown%/%height%", 1, 2, fixed), "%unknown%/2");
}

TEST(SaveImage, PrefixesLeavingTheOutputFolderAreRefused) {
    for (const std::string prefix : {"../escape", "a/../../escape", "/tmp/weft-escape-test"}) {
        SCOPED_TRACE(prefix);
        NodeRunner nr;
        const weft::RunResult r = nr.run(save_workflow(prefix), {}, false);
        EXPECT_EQ(r.status, weft::RunStatus::Error);
        ASSERT_TRUE(r.error.has_value());
        EXPECT_EQ(r.error->node_id, "2");
        EXPECT_NE(r.error->exception_message.find("outside"), std::string::npos) << r.error->exception_message;
        EXPECT_FALSE(fs::exists(nr.dir() / "escape_00001_.png"));
        EXPECT_FALSE(fs::exists("/tmp/weft-escape-test_00001_.png"));
    }
    EXPECT_THROW(weft::nodes::join_inside("/srv/out", "../x"), weft::Error);
    EXPECT_EQ(weft::nodes::join_inside("/srv/out", "a/./b/../c.png"), fs::path("/srv/out/a/c.png"));
}

TEST(SaveImage, EmbedsPromptAndExtraPngInfoAsTextChunks) {
    NodeRunner nr;
    weft::Workflow wf = save_workflow("meta");
    wf.add("3", "PrimitiveString").set("value", "caf\xc3\xa9 \xf0\x9f\x98\x80");  // non-ASCII text in the prompt
    wf.add("4", "PreviewAny").link("source", "3", 0);
    weft::RunOptions options;
    options.extra_pnginfo = {{"workflow", R"({"nodes": [], "links": [], "version": 0.4})"}, {"note", R"("x")"}};
    const weft::RunResult r = nr.run(wf, {}, true, options);
    ASSERT_TRUE(r.ok());

    ReadPng png;
    ASSERT_TRUE(read_png_file(nr.folders().output / "meta_00001_.png", png));
    ASSERT_TRUE(png.text.count("prompt"));
    ASSERT_TRUE(png.text.count("workflow"));
    ASSERT_TRUE(png.text.count("note"));
    EXPECT_EQ(png.text_order.front(), "prompt");

    // The chunk is plain ASCII (tEXt is Latin-1) and still the same JSON.
    for (unsigned char c : png.text["prompt"]) ASSERT_LT(c, 0x80);
    const nlohmann::json prompt = nlohmann::json::parse(png.text["prompt"]);
    EXPECT_EQ(prompt["2"]["class_type"], "SaveImage");
    EXPECT_EQ(prompt["2"]["inputs"]["filename_prefix"], "meta");
    EXPECT_EQ(prompt["2"]["inputs"]["images"], nlohmann::json::parse(R"(["1", 0])"));
    EXPECT_EQ(prompt["3"]["inputs"]["value"], "caf\xc3\xa9 \xf0\x9f\x98\x80");

    EXPECT_EQ(nlohmann::json::parse(png.text["workflow"]), nlohmann::json::parse(options.extra_pnginfo["workflow"]));
    EXPECT_EQ(png.text["note"], "\"x\"");
}

TEST(PreviewImage, WritesToTempWithARandomSuffix) {
    NodeRunner nr;
    weft::Workflow wf;
    wf.add("1", "EmptyImage").set("width", 3).set("height", 3).set("batch_size", 2).set("color", 0);
    wf.add("2", "PreviewImage").link("images", "1", 0);
    const weft::RunResult r = nr.run(wf);
    const weft::List& images = r.ui.at("2").at("images").as_list();
    ASSERT_EQ(images.size(), 2u);
    const std::regex name(R"(ComfyUI_temp_[a-z]{5}_0000[12]_\.png)");
    for (const weft::Value& v : images) {
        const weft::Dict& d = v.as_dict();
        EXPECT_EQ(d.at("type").as_string(), "temp");
        EXPECT_EQ(d.at("subfolder").as_string(), "");
        EXPECT_TRUE(std::regex_match(d.at("filename").as_string(), name)) << d.at("filename").as_string();
        ReadPng png;
        EXPECT_TRUE(read_png_file(nr.folders().temp / d.at("filename").as_string(), png));
        EXPECT_TRUE(png.text.count("prompt"));
    }
    EXPECT_FALSE(fs::exists(nr.folders().output));
}
