// PyTorch zip checkpoints: tensors rebuilt as views, state_dict unwrapping, the global allow-list.
#include <weft/error.h>
#include <weft/tensor.h>

#include "pickle_zip_writer.h"
#include "tensor/pickle_checkpoint.h"
#include "tensor/zip_archive.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

using namespace weft;
using namespace weft::test;
namespace fs = std::filesystem;

namespace {

std::string floats(std::initializer_list<float> v) {
    std::string s(v.size() * 4, '\0');
    std::memcpy(s.data(), v.begin(), s.size());
    return s;
}

std::string halves(std::initializer_list<float> v) {
    std::string s;
    for (float f : v) {
        Tensor t = Tensor::full({1}, f).to(DType::F16);
        s.append(reinterpret_cast<const char*>(t.raw_data()), 2);
    }
    return s;
}

class PickleTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("weft_pk_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& bytes) {
        const std::string p = (dir_ / name).string();
        write_file(p, bytes);
        return p;
    }
    // A checkpoint: archive/data.pkl = `pkl`, archive/data/<key> = bytes.
    std::string ckpt(const std::string& pkl, const std::vector<std::pair<std::string, std::string>>& storages,
                     bool zip64 = false, const std::string& stem = "archive") {
        std::vector<std::pair<std::string, std::string>> entries{{stem + "/data.pkl", pkl}};
        for (const auto& [k, v] : storages) entries.emplace_back(stem + "/data/" + k, v);
        entries.emplace_back(stem + "/version", "3\n");
        return write("model.ckpt", stored_zip(entries, zip64));
    }
    void expect_error(const std::string& p, const std::string& needle) {
        try {
            read_pickle_checkpoint(p);
            ADD_FAILURE() << "loaded without error; expected: " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_EQ(e.path(), p);
        }
    }

    fs::path dir_;
};

}  // namespace

TEST_F(PickleTest, StateDictTensorsAreViewsOverTheArchive) {
    const std::vector<FakeTensor> ts = {
        {"model.w", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1}},
        {"model.w_t", "FloatStorage", "0", 6, 0, {3, 2}, {1, 3}},       // transposed view of the same storage
        {"model.tail", "FloatStorage", "0", 6, 4, {2}, {1}},            // storage offset in elements
        {"model.h", "HalfStorage", "1", 3, 0, {3}, {1}, true},          // an nn.Parameter
        {"model.scalar", "LongStorage", "2", 1, 0, {}, {}},
        {"model.big", "FloatStorage", "3", 5, 0, {1, 1, 1, 5}, {5, 5, 5, 1}},
    };
    std::string longs(8, '\0');
    longs[0] = 42;
    const std::string p = ckpt(torch_state_dict_pickle(ts),
                               {{"0", floats({1, 2, 3, 4, 5, 6})},
                                {"1", halves({0.5f, -1.0f, 2.0f})},
                                {"2", longs},
                                {"3", floats({9, 8, 7, 6, 5})}});
    const PickleCheckpoint ck = read_pickle_checkpoint(p);
    ASSERT_EQ(ck.tensors.size(), ts.size());
    for (size_t i = 0; i < ts.size(); ++i) EXPECT_EQ(ck.tensors[i].first, ts[i].name);  // file order
    EXPECT_EQ(ck.metadata.at("global_step"), "7");
    EXPECT_EQ(ck.metadata.at("epoch"), "2");

    const Tensor& w = ck.tensors[0].second;
    const Tensor& wt = ck.tensors[1].second;
    EXPECT_EQ(w.describe(), "F32 [2, 3]");
    EXPECT_EQ(w.data<float>()[5], 6.0f);
    EXPECT_EQ(wt.storage(), w.storage());  // one storage, shared
    EXPECT_FALSE(wt.is_contiguous());
    EXPECT_EQ(wt.contiguous().data<float>()[1], 4.0f);  // w_t[0,1] = w[1,0]
    EXPECT_EQ(ck.tensors[2].second.data<float>()[0], 5.0f);
    const Tensor h = ck.tensors[3].second;
    EXPECT_EQ(h.dtype(), DType::F16);
    EXPECT_EQ(h.to(DType::F32).data<float>()[1], -1.0f);
    EXPECT_EQ(ck.tensors[4].second.dim(), 0);
    EXPECT_EQ(ck.tensors[4].second.data<int64_t>()[0], 42);
    EXPECT_EQ(ck.tensors[5].second.shape(), (Shape{1, 1, 1, 5}));

    // Views point into the archive's bytes: 64-byte aligned, inside the file.
    const auto* base = reinterpret_cast<const std::byte*>(w.raw_data());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(base) % 64, 0u);
    EXPECT_EQ(w.storage()->nbytes(), 24u);
}

TEST_F(PickleTest, BareDictAndSingleNestedDict) {
    const std::vector<FakeTensor> ts = {{"a", "FloatStorage", "0", 2, 0, {2}, {1}}};
    const PickleCheckpoint bare = read_pickle_checkpoint(ckpt(torch_state_dict_pickle(ts, false), {{"0", floats({1, 2})}}));
    ASSERT_EQ(bare.tensors.size(), 1u);
    EXPECT_EQ(bare.tensors[0].first, "a");

    // {"model": {"a": tensor}} — one key holding a dict: that dict is the state dict.
    PickleWriter w;
    w.proto(2).empty_dict().str("model").raw(torch_state_dict_pickle(ts, false).substr(2));
    std::string pkl = w.bytes();
    pkl.pop_back();  // drop the inner STOP
    pkl += "s.";     // SETITEM, STOP
    const PickleCheckpoint nested = read_pickle_checkpoint(ckpt(pkl, {{"0", floats({1, 2})}}));
    ASSERT_EQ(nested.tensors.size(), 1u);
    EXPECT_EQ(nested.tensors[0].first, "a");
}

TEST_F(PickleTest, Zip64AndOtherStemNames) {
    const std::vector<FakeTensor> ts = {{"x", "BFloat16Storage", "7", 2, 1, {1}, {1}}};
    const std::string bf = std::string("\x80\x3f\x00\x40", 4);  // bf16 1.0, 2.0
    const PickleCheckpoint ck = read_pickle_checkpoint(ckpt(torch_state_dict_pickle(ts), {{"7", bf}}, true, "v1-5"));
    ASSERT_EQ(ck.tensors.size(), 1u);
    EXPECT_EQ(ck.tensors[0].second.to(DType::F32).data<float>()[0], 2.0f);
}

TEST_F(PickleTest, DisallowedGlobalIsRefused) {
    PickleWriter w;
    w.proto(2).global("os", "system").str("echo pwned").tuple1().reduce().stop();
    expect_error(ckpt(w.bytes(), {}), "'os.system'");
    PickleWriter s;
    s.proto(2).stack_global("builtins", "eval").str("1+1").tuple1().reduce().stop();
    expect_error(ckpt(s.bytes(), {}), "'builtins.eval'");
    // Refused when named, even if never called.
    PickleWriter n;
    n.proto(2).empty_dict().str("x").global("subprocess", "Popen").setitem().stop();
    expect_error(ckpt(n.bytes(), {}), "refusing to load");
}

TEST_F(PickleTest, InertTrainingLeftoversLoad) {
    // A Lightning checkpoint's callbacks entry: a ModelCheckpoint object next to the state dict.
    const std::vector<FakeTensor> ts = {{"a", "FloatStorage", "0", 1, 0, {1}, {1}}};
    std::string pkl = torch_state_dict_pickle(ts);
    pkl.pop_back();
    PickleWriter w;
    w.str("callbacks").global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint")
        .empty_tuple().newobj().empty_dict().str("best").binfloat(0.5).setitem().build().setitem().stop();
    pkl += w.bytes();
    const PickleCheckpoint ck = read_pickle_checkpoint(ckpt(pkl, {{"0", floats({3})}}));
    ASSERT_EQ(ck.tensors.size(), 1u);
    EXPECT_EQ(ck.tensors[0].second.data<float>()[0], 3.0f);
}

TEST_F(PickleTest, BadStoragesAndViews) {
    // Storage entry shorter than its declared size.
    expect_error(ckpt(torch_state_dict_pickle({{"a", "FloatStorage", "0", 4, 0, {4}, {1}}}), {{"0", floats({1, 2})}}),
                 "storage '0' declares 4 F32 elements");
    // View past the storage end.
    expect_error(ckpt(torch_state_dict_pickle({{"a", "FloatStorage", "0", 2, 1, {2}, {1}}}), {{"0", floats({1, 2})}}),
                 "exceeds its storage");
    // Missing storage entry.
    expect_error(ckpt(torch_state_dict_pickle({{"a", "FloatStorage", "9", 2, 0, {2}, {1}}}), {{"0", floats({1, 2})}}),
                 "archive/data/9");
    // Unknown storage type is a disallowed global.
    expect_error(ckpt(torch_state_dict_pickle({{"a", "ComplexFloatStorage", "0", 1, 0, {1}, {1}}}), {{"0", floats({1, 2})}}),
                 "'torch.ComplexFloatStorage'");
}

TEST_F(PickleTest, MalformedPicklesFailCleanly) {
    const std::string good = torch_state_dict_pickle({{"a", "FloatStorage", "0", 2, 0, {2}, {1}}});
    // Every truncation of a valid pickle is an error, never a crash.
    for (size_t n = 0; n + 1 < good.size(); n += 3) {
        const std::string p = ckpt(good.substr(0, n), {{"0", floats({1, 2})}});
        EXPECT_THROW(read_pickle_checkpoint(p), Error) << n;
    }
    expect_error(ckpt(std::string("\x80\x02\xff", 3), {}), "unsupported pickle opcode 0xff");
    expect_error(ckpt(std::string("\x80\x02h\x05.", 5), {}), "memo index 5");
    expect_error(ckpt(std::string("\x80\x02K\x01.", 5), {}), "not a dict");
    expect_error(ckpt(std::string("\x80\x02s.", 4), {}), "stack underflow");
    // A list appended to itself through the memo is legal pickle and must not hang.
    PickleWriter w;
    w.proto(2).empty_dict().binput(0).str("l").empty_list().binput(1).binget(1).append().setitem().stop();
    EXPECT_TRUE(read_pickle_checkpoint(ckpt(w.bytes(), {})).tensors.empty());
}

TEST_F(PickleTest, NotAZipOrLegacy) {
    expect_error(write("a.ckpt", "hello"), "not a PyTorch checkpoint");
    expect_error(write("b.ckpt", std::string("\x80\x02\x8a\x0a", 4)), "legacy");
    expect_error(write("c.ckpt", stored_zip({{"foo/bar.txt", "x"}})), "no data.pkl");
    // A compressed data.pkl (method 8) is named as such.
    std::string z = stored_zip({{"archive/data.pkl", "xx"}});
    z[8] = 8;                                   // local header method
    z[z.find("PK\x01\x02", 0, 4) + 10] = 8;     // central header method
    expect_error(write("d.ckpt", z), "compressed");
}

TEST_F(PickleTest, ZipCentralDirectoryValidation) {
    std::string z = stored_zip({{"archive/data.pkl", "abc"}});
    // Central directory offset pointing past the end.
    std::string bad = z;
    bad[bad.size() - 6] = '\x7f';
    auto f = MappedFile::from_bytes(std::vector<std::byte>(reinterpret_cast<const std::byte*>(bad.data()),
                                                           reinterpret_cast<const std::byte*>(bad.data() + bad.size())),
                                    "bad.zip");
    EXPECT_THROW(ZipArchive{f}, Error);
    auto g = MappedFile::from_bytes(std::vector<std::byte>(reinterpret_cast<const std::byte*>(z.data()),
                                                           reinterpret_cast<const std::byte*>(z.data() + z.size())),
                                    "good.zip");
    ZipArchive ok(g);
    ASSERT_NE(ok.find("archive/data.pkl"), nullptr);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(ok.data(*ok.find("archive/data.pkl"))), 3), "abc");
}
