// tests/support/runtime_fixture.h — the fixture runtime tests share: a Harness per test, optionally
// parametrised over cache modes (as ComfyUI's executor tests are over --cache-* flags).
#pragma once

#include "test_nodes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace weft::testing {

/// A test run under each cache mode of cache_modes(); `h` is a fresh session per test.
class CacheModeTest : public ::testing::TestWithParam<std::string> {
protected:
    Harness h{GetParam()};
    bool caches() const { return h.caches(); }
};

/// Names a parametrised test after its cache mode ("lru:100" -> "lru_100").
inline std::string mode_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string s = info.param;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

inline std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

inline bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

/// All node ids of a workflow.
inline std::set<std::string> ids_of(const Workflow& wf) {
    std::set<std::string> s;
    for (const WorkflowNode& n : wf.nodes()) s.insert(n.id);
    return s;
}

}  // namespace weft::testing

#define WEFT_INSTANTIATE_CACHE_MODES(Suite) \
    INSTANTIATE_TEST_SUITE_P(CacheModes, Suite, ::testing::ValuesIn(::weft::testing::cache_modes()), ::weft::testing::mode_name)
