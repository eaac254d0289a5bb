// safetensors: write/read round trips, views over the mapping, and every header validation failure.
#include <weft/error.h>
#include <weft/tensor.h>

#include "core/convert.h"
#include "tensor/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

using namespace weft;
namespace fs = std::filesystem;

namespace {

class SafetensorsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("weft_st_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    // A file with the given header text (length field = its size) followed by `data_bytes` bytes.
    std::string raw(const std::string& header, size_t data_bytes, const std::string& name = "raw.safetensors") {
        std::string p = path(name);
        std::ofstream f(p, std::ios::binary);
        uint64_t n = header.size();
        char len[8];
        for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
        f.write(len, 8);
        f << header;
        std::string data(data_bytes, '\0');
        for (size_t i = 0; i < data_bytes; ++i) data[i] = static_cast<char>(i * 7 + 1);
        f << data;
        return p;
    }

    // Expects opening `p` to fail with a message containing `needle` and the file's path.
    void expect_invalid(const std::string& p, const std::string& needle) {
        try {
            SafetensorsFile f(p);
            ADD_FAILURE() << "opened without error; expected: " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_EQ(e.path(), p);
            EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
        }
    }

    fs::path dir_;
};

Tensor iota(const Shape& shape, float start = 0) {
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    std::iota(v.begin(), v.end(), start);
    return Tensor::from_vector(shape, v);
}

}  // namespace

TEST_F(SafetensorsTest, RoundTripAllWritableDTypesAsViews) {
    Tensor a = iota({2, 3, 4});
    std::vector<std::pair<std::string, Tensor>> ts = {
        {"a.f32", a},
        {"a.f16", a.to(DType::F16)},
        {"a.bf16", a.to(DType::BF16)},
        {"a.f64", a.to(DType::F64)},
        {"a.i64", a.to(DType::I64)},
        {"a.i32", a.to(DType::I32)},
        {"a.i16", a.to(DType::I16)},
        {"a.i8", a.to(DType::I8)},
        {"a.u8", a.to(DType::U8)},
        {"a.bool", a.to(DType::BOOL)},
        {"a.e4m3", a.slice(2, 0, 2).to(DType::F8_E4M3)},
        {"a.e5m2", a.slice(2, 0, 2).to(DType::F8_E5M2)},
        {"permuted", a.permute({2, 0, 1})},  // written row-major in its new order
        {"scalar", Tensor::full({}, 3.5f)},
        {"empty", Tensor::zeros({0, 5}, DType::F16)},
    };
    const std::string p = path("rt.safetensors");
    write_safetensors(p, ts, {{"format", "pt"}, {"note", "ünïcode"}});
    EXPECT_FALSE(fs::exists(p + ".tmp"));

    SafetensorsFile f(p);
    EXPECT_EQ(f.entries().size(), ts.size());
    EXPECT_EQ(f.metadata().at("format"), "pt");
    EXPECT_EQ(f.metadata().at("note"), "ünïcode");
    for (const auto& [name, t] : ts) {
        ASSERT_TRUE(f.contains(name)) << name;
        const SafetensorsEntry& e = f.entry(name);
        EXPECT_EQ(e.dtype_name, dtype_name(t.dtype()));
        EXPECT_EQ(e.shape, t.shape());
        Tensor r = f.tensor(name);
        EXPECT_EQ(r.dtype(), t.dtype());
        EXPECT_EQ(r.shape(), t.shape());
        EXPECT_TRUE(r.is_contiguous());
        // A view over the mapping: its storage is the whole file, its bytes lie at e.begin.
        EXPECT_EQ(r.storage()->nbytes(), fs::file_size(p)) << name;
        EXPECT_EQ(r.raw_data(), f.file()->data() + e.begin);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(r.raw_data()) % dtype_size(r.dtype()), 0u) << name;
        const Tensor c = t.contiguous();
        ASSERT_EQ(r.nbytes(), c.nbytes());
        if (c.nbytes()) EXPECT_EQ(std::memcmp(r.raw_data(), c.raw_data(), c.nbytes()), 0) << name;
    }
    EXPECT_EQ(f.tensor("permuted").data<float>()[1], 4.0f);  // permuted[0,0,1] = a[0,1,0]
    EXPECT_EQ(f.tensor("a.bf16").to(DType::F32).data<float>()[23], 23.0f);
    EXPECT_EQ(f.tensor("a.e4m3").to(DType::F32).data<float>()[3], 5.0f);  // a[0,1,1]
}

TEST_F(SafetensorsTest, TensorOutlivesFileObject) {
    const std::string p = path("keep.safetensors");
    write_safetensors(p, {{"x", iota({100})}});
    Tensor t;
    {
        SafetensorsFile f(p);
        t = f.tensor("x");
    }
    fs::remove(p);  // the mapping, held by the tensor's storage, stays valid
    EXPECT_EQ(t.data<float>()[99], 99.0f);
}

TEST_F(SafetensorsTest, WriterRefusesDuplicatesAndLeavesNoTempFile) {
    const std::string p = path("dup.safetensors");
    EXPECT_THROW(write_safetensors(p, {{"x", iota({2})}, {"x", iota({3})}}), Error);
    EXPECT_THROW(write_safetensors(p, {{"x", Tensor()}}), Error);
    EXPECT_THROW(write_safetensors(path("no/such/dir/x.safetensors"), {{"x", iota({2})}}), Error);
    EXPECT_FALSE(fs::exists(p));
    EXPECT_TRUE(fs::is_empty(dir_));
    // Overwrite an existing file atomically.
    write_safetensors(p, {{"x", iota({2})}});
    write_safetensors(p, {{"y", iota({3})}});
    SafetensorsFile f(p);
    EXPECT_FALSE(f.contains("x"));
    EXPECT_TRUE(f.contains("y"));
}

TEST_F(SafetensorsTest, HeaderIsPaddedAndAligned) {
    const std::string p = path("pad.safetensors");
    write_safetensors(p, {{"b", Tensor::zeros({3}, DType::U8)}, {"a", iota({5}).to(DType::F64)}});
    std::ifstream in(p, std::ios::binary);
    unsigned char len[8];
    in.read(reinterpret_cast<char*>(len), 8);
    EXPECT_EQ(len[0] % 8, 0);
    SafetensorsFile f(p);
    EXPECT_EQ(f.entries().front().name, "a");  // widest dtype first
    EXPECT_EQ(f.entries().front().begin % 8, 0u);
}

TEST_F(SafetensorsTest, ValidTrailingSpacesAndEmptyHeader) {
    SafetensorsFile a(raw(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}     )", 8, "a"));
    EXPECT_EQ(a.entries().size(), 1u);
    SafetensorsFile b(raw("{}", 0, "b"));
    EXPECT_TRUE(b.entries().empty());
    SafetensorsFile c(raw(R"({"__metadata__":null})", 0, "c"));
    EXPECT_TRUE(c.metadata().empty());
}

TEST_F(SafetensorsTest, TruncatedOrTooShortFile) {
    const std::string p = path("short.safetensors");
    std::ofstream(p, std::ios::binary) << "abc";
    expect_invalid(p, "too short");
    // A valid file cut one byte short: the last tensor runs past the end.
    const std::string q = path("trunc.safetensors");
    write_safetensors(q, {{"x", iota({4})}, {"y", iota({4})}});
    fs::resize_file(q, fs::file_size(q) - 1);
    expect_invalid(q, "tensor 'y'");
    expect_invalid(q, "run past the end");
}

TEST_F(SafetensorsTest, HeaderLengthBeyondFile) {
    const std::string p = path("len.safetensors");
    {
        std::ofstream f(p, std::ios::binary);
        const unsigned char len[8] = {0x00, 0x10, 0, 0, 0, 0, 0, 0};  // 4096
        f.write(reinterpret_cast<const char*>(len), 8);
        f << "{}";
    }
    expect_invalid(p, "header length 4096 exceeds");
    {
        std::ofstream f(p, std::ios::binary);
        const unsigned char len[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
        f.write(reinterpret_cast<const char*>(len), 8);
        f << "{}";
    }
    expect_invalid(p, "exceeds the format's limit");
}

TEST_F(SafetensorsTest, BadJson) {
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[2],)", 8), "not valid JSON");
    expect_invalid(raw("[1,2]", 0), "not a JSON object");
    expect_invalid(raw("\xff\xfe{}", 0), "not valid JSON");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       8),
                   "tensor 'x' appears twice");
}

TEST_F(SafetensorsTest, OffsetsOutOfRange) {
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8), "tensor 'x'");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8), "run past the end");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8), "invalid data_offsets");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8), "invalid data_offsets");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 8), "data_offsets");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8), "4 bytes after the last");
}

TEST_F(SafetensorsTest, OverlapsAndHoles) {
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                       12),
                   "tensor 'y': data overlaps tensor 'x'");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                       12),
                   "tensor 'y': 4 unused bytes");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "tensor 'x': 4 unused");
}

TEST_F(SafetensorsTest, ByteSizeMismatch) {
    expect_invalid(raw(R"({"x":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}})", 16),
                   "tensor 'x': data_offsets [0,16] span 16 bytes but F16 [2,2] needs 8");
    expect_invalid(raw(R"({"x":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}})", 1), "whole bytes");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})", 4),
                   "overflows");
}

TEST_F(SafetensorsTest, MalformedEntries) {
    expect_invalid(raw(R"({"x":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}})", 4), "unknown dtype \"F12\"");
    expect_invalid(raw(R"({"x":{"shape":[1],"data_offsets":[0,4]}})", 4), "tensor 'x': missing");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4), "not a non-negative");
    expect_invalid(raw(R"({"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4), "not a non-negative");
    expect_invalid(raw(R"({"x":[1,2]})", 0), "tensor 'x': header entry is not an object");
    expect_invalid(raw(R"({"__metadata__":{"a":1}})", 0), "__metadata__ value 'a' is not a string");
    expect_invalid(raw(R"({"__metadata__":[]})", 0), "__metadata__ is not an object");
}

TEST_F(SafetensorsTest, FormatDTypesWithoutDTypeAreListedButNotLoadable) {
    SafetensorsFile f(raw(R"({"u":{"dtype":"U32","shape":[2],"data_offsets":[0,8]},)"
                          R"("p":{"dtype":"F4","shape":[4],"data_offsets":[8,10]},)"
                          R"("e":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[10,12]}})",
                          12));
    EXPECT_EQ(f.entry("u").dtype_name, "U32");
    EXPECT_FALSE(f.entry("u").dtype.has_value());
    EXPECT_FALSE(f.entry("p").dtype.has_value());
    try {
        f.tensor("u");
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'u' has dtype U32"), std::string::npos) << e.what();
    }
    Tensor e8 = f.tensor("e");  // F8 is read as data
    EXPECT_EQ(e8.dtype(), DType::F8_E4M3);
    EXPECT_EQ(e8.data<uint8_t>()[0], static_cast<uint8_t>(10 * 7 + 1));
    EXPECT_THROW(f.tensor("missing"), Error);
}

TEST_F(SafetensorsTest, MisalignedDataIsCopied) {
    // Header of 61 bytes puts the data at file offset 69: not 4-byte aligned.
    std::string h = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    h.append(61 - h.size(), ' ');
    SafetensorsFile f(raw(h, 8));
    Tensor t = f.tensor("x");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 4, 0u);
    uint32_t bits;
    std::memcpy(&bits, t.raw_data(), 4);
    EXPECT_EQ(bits, 0x160f0801u);  // bytes 1, 8, 15, 22 of the data pattern
}

TEST_F(SafetensorsTest, MissingFileNamesPath) {
    expect_invalid(path("nope.safetensors"), "cannot open file");
}
