// `weft nodes`: ComfyUI's /object_info with --json, a readable list without.
#include "cli_test_util.h"

using weft::testing::CliTest;

TEST_F(CliTest, NodesJsonHasComfyUIShapeForSaveImage) {
    const auto r = weft({"nodes", "--json", "SaveImage"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.size(), 1u);
    const nlohmann::json& s = j["SaveImage"];
    EXPECT_EQ(s["name"], "SaveImage");
    EXPECT_EQ(s["display_name"], "Save Image");
    EXPECT_EQ(s["category"], "image");
    EXPECT_EQ(s["python_module"], "nodes");
    EXPECT_EQ(s["output_node"], true);
    EXPECT_EQ(s["output"], nlohmann::json::array());
    EXPECT_EQ(s["output_name"], nlohmann::json::array());
    EXPECT_EQ(s["output_is_list"], nlohmann::json::array());
    EXPECT_EQ(s["input"]["required"]["images"][0], "IMAGE");
    EXPECT_EQ(s["input"]["required"]["filename_prefix"][0], "STRING");
    EXPECT_EQ(s["input"]["required"]["filename_prefix"][1]["default"], "ComfyUI");
    EXPECT_EQ(s["input"]["hidden"]["prompt"], "PROMPT");
    EXPECT_EQ(s["input"]["hidden"]["extra_pnginfo"], "EXTRA_PNGINFO");
    EXPECT_EQ(s["input_order"]["required"], nlohmann::json::parse(R"(["images", "filename_prefix"])"));
    EXPECT_EQ(s["input_order"]["hidden"], nlohmann::json::parse(R"(["prompt", "extra_pnginfo"])"));
}

TEST_F(CliTest, NodesJsonListsEveryNode) {
    const auto r = weft({"nodes", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    for (const char* name : {"PrimitiveInt", "StringConcatenate", "PreviewAny", "EmptyImage", "ImageInvert", "SaveImage",
                             "PreviewImage", "GetImageSize"})
        EXPECT_TRUE(j.contains(name)) << name;
}

TEST_F(CliTest, NodesTextListsByCategory) {
    const auto r = weft({"nodes"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const size_t image = r.out.find("\nimage\n");
    const size_t save = r.out.find("SaveImage");
    ASSERT_NE(image, std::string::npos) << r.out;
    ASSERT_NE(save, std::string::npos);
    EXPECT_GT(save, image);
    const auto one = weft({"nodes", "EmptyImage"});
    ASSERT_EQ(one.exit_code, 0);
    EXPECT_NE(one.out.find("width"), std::string::npos) << one.out;
    EXPECT_NE(one.out.find("default=512"), std::string::npos) << one.out;
    EXPECT_EQ(weft({"nodes", "NoSuchNode"}).exit_code, 2);
}
