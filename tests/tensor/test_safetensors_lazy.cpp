// Laziness: opening a model file maps it and parses headers only; tensor bytes are paged into this
// process when a tensor is used. Measured through /proc/self/smaps "Rss" of the file's mapping
// (pages mapped into our page tables). To measure what the readers touch rather than the kernel's
// read-ahead and large-folio policy, each test first evicts the file from the page cache and marks
// the mapping MADV_RANDOM (no read-ahead) before the reader parses it.
#include <weft/tensor.h>

#include "pickle_zip_writer.h"
#include "tensor/model_file.h"
#include "tensor/pickle_checkpoint.h"
#include "tensor/safetensors.h"

#include "resident_memory.h"
#include "sd15_tiny.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace weft;
namespace fs = std::filesystem;

using weft::testing::rss_kb_of_mapping;

namespace {

// Drops `path` from the page cache; false when the kernel kept some of it resident.
bool evict_from_page_cache(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return false;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    const size_t size = fs::file_size(path);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return false;
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> vec((size + page - 1) / page);
    const bool ok = ::mincore(p, size, vec.data()) == 0 &&
                    std::count_if(vec.begin(), vec.end(), [](unsigned char c) { return c & 1; }) == 0;
    ::munmap(p, size);
    return ok;
}

// Maps `path` cold and without read-ahead, ready for a reader to parse.
std::shared_ptr<MappedFile> map_cold(const std::string& path) {
    if (!evict_from_page_cache(path)) return nullptr;
    auto file = MappedFile::open(path);
    ::madvise(const_cast<std::byte*>(file->data()), file->size(), MADV_RANDOM);
    return file;
}

constexpr long kSlackKb = 256;  // measured: 4 kB (safetensors), 36 kB (zip with 8 entries) beyond the header

// `t` is a view into `file`; nothing but headers should be resident yet.
void expect_lazy(const MappedFile& file, const Tensor& t, size_t header_bytes) {
    const long before = rss_kb_of_mapping(file.data());
    if (before < 0) GTEST_SKIP() << "/proc/self/smaps not readable here";
    ASSERT_GE(reinterpret_cast<const std::byte*>(t.raw_data()), file.data());
    ASSERT_LT(reinterpret_cast<const std::byte*>(t.raw_data()), file.data() + file.size());
    const size_t file_size = file.size();
    EXPECT_LE(before, static_cast<long>(header_bytes / 1024) + kSlackKb)
        << "opening " << file.path() << " (" << file_size / 1024 << " kB) already mapped " << before << " kB";

    // Using the tensor pages it in: the mapping's resident size grows by about the tensor's bytes.
    const Tensor copy = t.clone();
    const long after = rss_kb_of_mapping(file.data());
    EXPECT_GE(after - before, static_cast<long>(t.nbytes() / 1024) - 8) << before << " -> " << after;
    EXPECT_LT(after - before, static_cast<long>(t.nbytes() / 1024) + kSlackKb) << "more than the tensor was read";
}

}  // namespace

TEST(SafetensorsLazy, OpeningReadsHeaderOnly) {
    const std::string p = (fs::temp_directory_path() / ("weft_lazy_" + std::to_string(::getpid()) + ".safetensors")).string();
    std::vector<std::pair<std::string, Tensor>> ts;
    for (int i = 0; i < 16; ++i) ts.emplace_back("w" + std::to_string(i), Tensor::full({1024, 1024}, float(i)));  // 4 MiB each
    write_safetensors(p, ts);
    auto file = map_cold(p);
    if (!file) {
        fs::remove(p);
        GTEST_SKIP() << "cannot evict " << p << " from the page cache";
    }
    {
        const SafetensorsFile f(file);
        EXPECT_EQ(f.entries().size(), 16u);
        expect_lazy(*file, f.tensor("w7"), 4096);
    }
    fs::remove(p);
}

TEST(SafetensorsLazy, PickleCheckpointOpeningReadsNoStorage) {
    const std::string p = (fs::temp_directory_path() / ("weft_lazy_" + std::to_string(::getpid()) + ".ckpt")).string();
    std::vector<test::FakeTensor> ts;
    std::vector<std::pair<std::string, std::string>> entries;
    for (int i = 0; i < 8; ++i) {
        const std::string key = std::to_string(i);
        ts.push_back({"model.w" + key, "FloatStorage", key, 1 << 20, 0, {1024, 1024}, {1024, 1}});
        entries.emplace_back("archive/data/" + key, std::string(size_t{4} << 20, static_cast<char>(i + 1)));
    }
    entries.insert(entries.begin(), {"archive/data.pkl", test::torch_state_dict_pickle(ts)});
    test::write_file(p, test::stored_zip(entries));
    auto file = map_cold(p);
    if (!file) {
        fs::remove(p);
        GTEST_SKIP() << "cannot evict " << p << " from the page cache";
    }
    {
        const PickleCheckpoint ck = read_pickle_checkpoint(file);
        ASSERT_EQ(ck.tensors.size(), 8u);
        EXPECT_EQ(ck.tensors[3].first, "model.w3");
        expect_lazy(*file, ck.tensors[3].second, 8192);
    }
    fs::remove(p);
}

// The SD1.5-shaped tiny preset (~630 MB, made by the shared tool once per build folder).
TEST(SafetensorsLazy, Sd15TinyPresetOpensLazily) {
    std::string why;
    const fs::path out = weft::testing::tiny_sd15_checkpoint(why);
    if (out.empty()) GTEST_SKIP() << why;
    auto file = map_cold(out.string());
    if (!file) GTEST_SKIP() << "cannot evict " << out << " from the page cache";
    const SafetensorsFile st(file);
    EXPECT_GT(st.entries().size(), 700u);
    EXPECT_EQ(st.entry("model.diffusion_model.input_blocks.0.0.weight").shape, (Shape{320, 4, 3, 3}));
    expect_lazy(*file, st.tensor("first_stage_model.decoder.conv_in.weight"), st.entries().front().begin);
}

// Loaders release a tensor's pages once converted: the file's bytes stop counting in the resident
// set, and reading the tensor again still gives its values (they fault back from the page cache).
TEST(SafetensorsLazy, ReleasedPagesLeaveTheResidentSetAndReadBack) {
    const std::string p = (fs::temp_directory_path() / ("weft_release_" + std::to_string(::getpid()) + ".safetensors")).string();
    std::vector<std::pair<std::string, Tensor>> ts;
    for (int i = 0; i < 4; ++i) ts.emplace_back("w" + std::to_string(i), Tensor::full({1024, 1024}, float(i + 1)));  // 4 MiB each
    write_safetensors(p, ts);
    {
        const ModelFile m = open_model_file(p);
        ASSERT_TRUE(m.mapping);
        const Tensor& w2 = m.at("w2");
        const float sum_before = w2.clone().data<float>()[12345];
        const long touched = rss_kb_of_mapping(m.mapping->data());
        if (touched < 0) GTEST_SKIP() << "/proc/self/smaps not readable here";
        EXPECT_GE(touched, 4096 - 8);
        m.release_pages(w2);
        const long released = rss_kb_of_mapping(m.mapping->data());
        EXPECT_LE(released, touched - 4096 + 8) << touched << " -> " << released;
        EXPECT_EQ(w2.clone().data<float>()[12345], sum_before);
        EXPECT_EQ(w2.clone().data<float>()[0], 3.0f);
        // Tensors that do not view the mapping are ignored.
        m.release_pages(Tensor::full({4}, 1.0f));
    }
    fs::remove(p);
}
