// tests/graph/graph_fixture.h — small node definitions for the graph-layer tests (validation, cache
// keys, /object_info). Nothing here executes: execute functions are empty.
#pragma once

#include <weft/error.h>
#include <weft/registry.h>
#include <weft/workflow.h>

#include <memory>
#include <ostream>
#include <string>

namespace weft {
// Readable Values in gtest failure messages.
inline void PrintTo(const Value& v, std::ostream* os) { *os << v.describe(); }
}  // namespace weft

namespace weft::graph_test {

inline NodeDefinition def_of(NodeSchema schema) {
    NodeDefinition d;
    d.schema = std::move(schema);
    d.execute = [](NodeContext&) {};
    return d;
}

/// A registry with:
///  Const      — INT "value" (min -100, max 100) -> INT
///  FloatConst — FLOAT "value" (min 0.0, max 1.0) -> FLOAT
///  Text       — STRING "text" -> STRING
///  Flag       — BOOLEAN "flag" -> BOOLEAN
///  Seed       — INT "seed" 0..2^64-1 -> INT
///  Image      — INT width (min 1) -> IMAGE, MASK
///  Invert     — IMAGE "image" -> IMAGE
///  Pick       — COMBO "mode" (a, b, c) -> STRING
///  BigCombo   — COMBO "name" with 30 options -> STRING
///  AnyIn      — "*" "value" -> STRING        Multi — "IMAGE,MASK" "value" -> IMAGE
///  Sum        — required INT a, optional INT b -> INT
///  Save       — output node, IMAGE "images", STRING prefix
///  Show       — output node, "*" "value" (optional)
///  Unique     — hidden UNIQUE_ID -> INT        Random — not_idempotent -> INT
inline std::shared_ptr<NodeRegistry> make_registry() {
    auto r = std::make_shared<NodeRegistry>();
    r->add(def_of(NodeSchema("Const").required(Input::integer("value", 0).min(-100).max(100)).output("INT")));
    r->add(def_of(NodeSchema("FloatConst").required(Input::floating("value", 0.5).min(0.0).max(1.0)).output("FLOAT")));
    r->add(def_of(NodeSchema("Text").required(Input::string("text")).output("STRING")));
    r->add(def_of(NodeSchema("Flag").required(Input::boolean("flag")).output("BOOLEAN")));
    r->add(def_of(NodeSchema("Seed").required(Input::integer("seed", 0).min(0).max(Value(uint64_t{18446744073709551615ull}))).output("INT")));
    r->add(def_of(NodeSchema("Image").required(Input::integer("width", 8).min(1)).output("IMAGE").output("MASK")));
    r->add(def_of(NodeSchema("Invert").required(Input::type_of("image", "IMAGE")).output("IMAGE")));
    r->add(def_of(NodeSchema("Pick").required(Input::combo("mode", {"a", "b", "c"})).output("STRING")));
    std::vector<std::string> many;
    for (int i = 0; i < 30; ++i) many.push_back("opt" + std::to_string(i));
    r->add(def_of(NodeSchema("BigCombo").required(Input::combo("name", many)).output("STRING")));
    r->add(def_of(NodeSchema("AnyIn").required(Input::type_of("value", "*")).output("STRING")));
    r->add(def_of(NodeSchema("Multi").required(Input::type_of("value", "IMAGE,MASK")).output("IMAGE")));
    r->add(def_of(NodeSchema("Sum").required(Input::integer("a")).optional(Input::integer("b")).output("INT")));
    r->add(def_of(NodeSchema("Save").required(Input::type_of("images", "IMAGE")).required(Input::string("prefix", "weft")).output_node()));
    r->add(def_of(NodeSchema("Show").optional(Input::type_of("value", "*")).output_node()));
    r->add(def_of(NodeSchema("Unique").required(Input::integer("value")).hidden("unique_id", Hidden::UniqueId).output("INT")));
    r->add(def_of(NodeSchema("Random").required(Input::integer("value")).not_idempotent().output("INT")));
    return r;
}

}  // namespace weft::graph_test
