// tests/support/single_node_runner.h — runs one built-in node through a real weft::Session.
//
//   weft::testing::SingleNodeRunner runner;
//   auto r = runner.run("ImageScale", {{"image", img}, {"upscale_method", "bilinear"}, {"width", 31},
//                                      {"height", 29}, {"crop", "disabled"}});
//   ASSERT_TRUE(r.ok()) << r.error_text();
//   const weft::Tensor& out = r.tensor(0);
//
// Constant inputs (numbers, strings, booleans) are set on the node; tensors, latents and
// other values are fed through source nodes ("TestValueSource"); a `SingleNodeRunner::list` value
// feeds a whole list (for INPUT_IS_LIST nodes). A sink output node consumes every output so the
// node runs; its outputs are captured.
#pragma once

#include <weft/weft.h>

#include <string>
#include <utility>
#include <vector>

namespace weft::testing {

struct NodeRun {
    RunResult result;

    bool ok() const { return result.ok(); }
    /// The failure as text (validation or execution), for assertion messages.
    std::string error_text() const;
    /// Output `slot`, list item `index` of the node under test.
    const Value& out(size_t slot = 0, size_t index = 0) const { return result.output("n", slot, index); }
    const Tensor& tensor(size_t slot = 0, size_t index = 0) const { return out(slot, index).as_tensor(); }
    const Latent& latent(size_t slot = 0, size_t index = 0) const { return out(slot, index).as_latent(); }
    /// Number of list items of output `slot`.
    size_t count(size_t slot = 0) const;
};

class SingleNodeRunner {
public:
    explicit SingleNodeRunner(SessionOptions options = {});

    /// A value fed as a list of items (OUTPUT_IS_LIST source).
    static Value list(List items);

    NodeRun run(const std::string& class_type, const std::vector<std::pair<std::string, Value>>& inputs,
                RunOptions options = {});

    Session& session() { return session_; }
    const NodeRegistry& registry() const { return *registry_; }

private:
    std::shared_ptr<NodeRegistry> registry_;
    Session session_;
};

}  // namespace weft::testing
