// The embedding examples build and do what they say.
#include "cli_test_util.h"

using weft::testing::CliTest;

#if defined(WEFT_EXAMPLE_MINIMAL) && defined(WEFT_EXAMPLE_CUSTOM_NODE)

TEST_F(CliTest, MinimalExampleReadsAnOutputTensor) {
    const auto r = weft::testing::run_process(WEFT_EXAMPLE_MINIMAL, {}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // Node 2 inverts (51, 102, 153): its mean is (204 + 153 + 102) / 3 / 255 = 0.6.
    EXPECT_NE(r.out.find("node 2 output 0: F32 [2, 32, 64, 3] mean 0.6000"), std::string::npos) << r.out;
}

TEST_F(CliTest, MinimalExampleRunsAWorkflowFile) {
    const auto r = weft::testing::run_process(WEFT_EXAMPLE_MINIMAL, {demo_workflow().string()}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("node 2 output 0: F32 [1, 192, 256, 3]"), std::string::npos) << r.out;
    EXPECT_TRUE(std::filesystem::exists(dir / "output" / "weft_demo_00001_.png"));
}

TEST_F(CliTest, CustomNodeExampleRunsItsOwnNode) {
    const auto r = weft::testing::run_process(WEFT_EXAMPLE_CUSTOM_NODE, {}, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("custom node: ok"), std::string::npos) << r.out;
}

#endif
