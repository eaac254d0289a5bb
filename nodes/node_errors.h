// nodes/node_errors.h — attributing a weft::Error thrown by model or file code to the input whose
// value caused it (the executor adds the node).
#pragma once

#include <weft/error.h>
#include <weft/node.h>

#include <string>
#include <string_view>

namespace weft::nodes {

/// Runs `f`, adding the input (when not empty) to a weft::Error it throws.
template <class F>
auto with_input(const NodeContext& ctx, std::string_view input, F&& f) {
    try {
        return f();
    } catch (Error& e) {
        if (!input.empty()) e.at_input(std::string(input));
        throw;
    }
}

}  // namespace weft::nodes
