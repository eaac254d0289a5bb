// The session's names and parsers (runtime/session_names.cpp): run status names, cache options.
#include <weft/error.h>
#include <weft/session.h>

#include <gtest/gtest.h>

using namespace weft;

TEST(Names, RunStatus) {
    EXPECT_STREQ(run_status_name(RunStatus::Success), "success");
    EXPECT_STREQ(run_status_name(RunStatus::Partial), "partial_success");
    EXPECT_STREQ(run_status_name(RunStatus::Error), "error");
    EXPECT_STREQ(run_status_name(RunStatus::Interrupted), "interrupted");
    EXPECT_STREQ(run_status_name(RunStatus::Invalid), "invalid");
}

TEST(CacheOptionsParse, Forms) {
    EXPECT_EQ(CacheOptions::parse("classic").mode, CacheOptions::Mode::Classic);
    EXPECT_EQ(CacheOptions::parse("none").mode, CacheOptions::Mode::None);
    CacheOptions lru = CacheOptions::parse("lru:50");
    EXPECT_EQ(lru.mode, CacheOptions::Mode::Lru);
    EXPECT_EQ(lru.lru_entries, 50u);
    EXPECT_EQ(CacheOptions::parse("ram:4096").ram_bytes, 4096u);
    EXPECT_EQ(CacheOptions::parse("ram:512K").ram_bytes, 512u * 1024);
    EXPECT_EQ(CacheOptions::parse("ram:2G").ram_bytes, 2ull << 30);
    EXPECT_EQ(CacheOptions::parse("ram:1.5g").ram_bytes, 3ull << 29);
    EXPECT_EQ(CacheOptions::parse("RAM:8GB").ram_bytes, 8ull << 30);
    EXPECT_EQ(CacheOptions::parse("ram:16MiB").ram_bytes, 16ull << 20);
    EXPECT_EQ(CacheOptions::parse("ram:1M").mode, CacheOptions::Mode::Ram);
    for (const char* bad : {"", "lru", "lru:", "lru:0", "lru:x", "lru:5x", "ram:", "ram:-1", "ram:0", "ram:abc", "fast", "ram:1Q"}) {
        try {
            CacheOptions::parse(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.type(), "invalid_cache_options");
        }
    }
}
