// nodes/node_errors.h — attributing a weft::Error thrown by model or file code to the node (and
// input) that called it.
#pragma once

#include <weft/error.h>
#include <weft/node.h>

#include <string>
#include <string_view>

namespace weft::nodes {

/// Runs `f`, adding the node and, when not empty, the input to a weft::Error it throws.
template <class F>
auto at_node(const NodeContext& ctx, std::string_view input, F&& f) {
    try {
        return f();
    } catch (Error& e) {
        e.at_node(ctx.node_id());
        if (!input.empty()) e.at_input(std::string(input));
        throw;
    }
}

}  // namespace weft::nodes
