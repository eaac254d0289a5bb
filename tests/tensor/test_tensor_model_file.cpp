// open_model_file: format chosen by content, errors name the file, tensors usable by name.
#include <weft/error.h>
#include <weft/tensor.h>

#include "pickle_zip_writer.h"
#include "tensor/model_file.h"
#include "tensor/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

using namespace weft;
namespace fs = std::filesystem;

namespace {

fs::path temp(const std::string& name) {
    return fs::temp_directory_path() / ("weft_mf_" + std::to_string(::getpid()) + "_" + name);
}

}  // namespace

TEST(TensorModelFile, SafetensorsByContentNotExtension) {
    const fs::path p = temp("renamed.ckpt");  // a safetensors file with a .ckpt name
    write_safetensors(p.string(), {{"a", Tensor::full({2, 2}, 1.5f, DType::BF16)}}, {{"format", "pt"}});
    const ModelFile m = open_model_file(p.string());
    EXPECT_EQ(m.format, "safetensors");
    EXPECT_EQ(m.metadata.at("format"), "pt");
    EXPECT_EQ(m.at("a").to(DType::F32).data<float>()[3], 1.5f);
    try {
        m.at("b");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos);
        EXPECT_EQ(e.path(), p.string());
    }
    fs::remove(p);
}

TEST(TensorModelFile, PickleByContent) {
    const fs::path p = temp("model.safetensors");  // a torch zip with a .safetensors name
    float v[3] = {1, 2, 3};
    std::string bytes(reinterpret_cast<const char*>(v), sizeof v);
    test::write_file(p.string(), test::stored_zip({{"archive/data.pkl",
                                                    test::torch_state_dict_pickle({{"x", "FloatStorage", "0", 3, 0, {3}, {1}}})},
                                                   {"archive/data/0", bytes}}));
    const ModelFile m = open_model_file(p.string());
    EXPECT_EQ(m.format, "pytorch");
    EXPECT_EQ(m.at("x").data<float>()[2], 3.0f);
    fs::remove(p);
}

TEST(TensorModelFile, UnrecognisedAndMissingFiles) {
    const fs::path p = temp("junk.bin");
    test::write_file(p.string(), "this is not a model");
    try {
        open_model_file(p.string());
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not a model file"), std::string::npos) << e.what();
        EXPECT_EQ(e.path(), p.string());
    }
    // A truncated safetensors file gets the precise reason, not "unrecognised".
    write_safetensors(p.string(), {{"a", Tensor::zeros({64})}});
    fs::resize_file(p, 100);
    try {
        open_model_file(p.string());
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'a'"), std::string::npos) << e.what();
    }
    fs::remove(p);
    EXPECT_THROW(open_model_file(p.string()), Error);
    EXPECT_THROW(open_model_file(fs::temp_directory_path().string()), Error);  // a directory
}

TEST(TensorModelFile, UnsupportedSafetensorsDTypesAreSkipped) {
    const fs::path p = temp("u32.safetensors");
    const std::string h = R"({"u":{"dtype":"U32","shape":[1],"data_offsets":[0,4]},"f":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    std::string file(8, '\0');
    file[0] = static_cast<char>(h.size());
    file += h;
    file += std::string(8, '\0');
    test::write_file(p.string(), file);
    const ModelFile m = open_model_file(p.string());
    EXPECT_FALSE(m.contains("u"));
    EXPECT_TRUE(m.contains("f"));
    fs::remove(p);
}
