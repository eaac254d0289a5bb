// tests/api/header_example_context.h — the names the public headers' usage examples assume
// (a session, a workflow, run options, a registry, a node's context, an application's model
// type), declared once so that every example compiles as written.
#pragma once

#include <weft/weft.h>
#include <weft/server.h>

#include <cstdio>
#include <memory>

namespace weft::header_examples {

struct MyModel {
    int layers = 0;
};

struct MyMemo {
    int entries = 0;
};

/// An application's node, as registry.h's example registers it.
NodeDefinition my_node_definition();

struct Context {
    Session& session;
    Workflow& wf;
    RunOptions& options;
    NodeRegistry& registry;
    NodeContext& ctx;
};

}  // namespace weft::header_examples
