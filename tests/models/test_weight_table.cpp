// WeightTable: names and shape checks, and the release of a loaded file's pages (a loader would
// otherwise hold both its converted weights and the file in the resident set).
#include "blocks/weight_table.h"
#include "tensor/mapped_file.h"
#include "tensor/safetensors.h"

#include "resident_memory.h"

#include <weft/error.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include <unistd.h>

using namespace weft;
namespace fs = std::filesystem;

namespace {

struct TempSafetensors {
    std::string path = (fs::temp_directory_path() / ("weft_table_" + std::to_string(::getpid()) + ".safetensors")).string();
    explicit TempSafetensors(int tensors) {
        std::vector<std::pair<std::string, Tensor>> ts;
        for (int i = 0; i < tensors; ++i) ts.emplace_back("net.w" + std::to_string(i), Tensor::full({512, 512}, float(i)));  // 1 MiB
        write_safetensors(path, ts);
    }
    ~TempSafetensors() { fs::remove(path); }
};

}  // namespace

TEST(WeightTable, ChecksNamesAndShapes) {
    TempSafetensors f(2);
    const nets::WeightTable t(std::make_shared<const ModelFile>(open_model_file(f.path)), "net.");
    EXPECT_TRUE(t.has("w1"));
    EXPECT_EQ(t.get("w1", {512, 512}).data<float>()[7], 1.0f);
    EXPECT_THROW(t.get("w2"), Error);
    try {
        t.get("w0", {512, 3});
        ADD_FAILURE() << "a wrong shape was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("net.w0"), std::string::npos) << e.what();
    }
}

TEST(WeightTable, FetchedTensorsLeaveTheResidentSetAfterTheWindow) {
    TempSafetensors f(40);
    const auto file = std::make_shared<const ModelFile>(open_model_file(f.path));
    const void* mapped = file->mapping->data();
    if (weft::testing::rss_kb_of_mapping(mapped) < 0) GTEST_SKIP() << "/proc/self/smaps not readable here";
    {
        std::optional<nets::WeightTable> table(std::in_place, file, "");
        const nets::WeightTable sub = table->sub("net");  // shares the window
        for (int i = 0; i < 40; ++i) {
            const Tensor copy = sub.get("w" + std::to_string(i)).clone();  // a "conversion" touches every page
            EXPECT_EQ(copy.data<float>()[100], float(i));
        }
        // At most the window (16 tensors of 1 MiB) stays mapped, not the 40 MiB read.
        const long during = weft::testing::rss_kb_of_mapping(mapped);
        EXPECT_LE(during, 17 * 1024) << during;
        table.reset();
        EXPECT_LE(weft::testing::rss_kb_of_mapping(mapped), 17 * 1024);  // `sub` still holds the window
    }
    // The last table is gone: everything it read is released, but for the pages tensors share
    // with a neighbour (only whole pages are dropped) and the header.
    EXPECT_LE(weft::testing::rss_kb_of_mapping(mapped), 40 * 8 + 64);
    // Reading a tensor again works: the bytes come back from the page cache.
    EXPECT_EQ(file->at("net.w39").clone().data<float>()[5], 39.0f);
}
