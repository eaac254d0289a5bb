// Schema queries, ComfyUI's link type check, and the registry.
#include <weft/error.h>
#include <weft/registry.h>

#include "graph_fixture.h"

#include <gtest/gtest.h>

using namespace weft;

TEST(TypesCompatible, ComfyUiRules) {
    EXPECT_TRUE(types_compatible("IMAGE", "IMAGE"));
    EXPECT_FALSE(types_compatible("IMAGE", "MASK"));
    EXPECT_FALSE(types_compatible("INT", "FLOAT"));
    // The wildcard on either side matches anything.
    EXPECT_TRUE(types_compatible("*", "IMAGE"));
    EXPECT_TRUE(types_compatible("LATENT", "*"));
    // Comma-separated sets match when they overlap (non-strict), whitespace trimmed.
    EXPECT_TRUE(types_compatible("INT", "FLOAT,INT"));
    EXPECT_TRUE(types_compatible("FLOAT, INT", "INT"));
    EXPECT_TRUE(types_compatible("STRING,FLOAT", "INT,FLOAT"));
    EXPECT_FALSE(types_compatible("STRING,BOOLEAN", "INT,FLOAT"));
    EXPECT_FALSE(types_compatible("IMAGE", "IMAGES"));
    EXPECT_TRUE(types_compatible("COMBO", "COMBO"));
}

TEST(Schema, WidgetsAndLookups) {
    NodeSchema s("N");
    s.required(Input::integer("steps", 20));
    s.required(Input::type_of("image", "IMAGE"));
    s.optional(Input::string("text").forced_input());
    s.optional(Input::combo("mode", {"x", "y"}));
    s.hidden("uid", Hidden::UniqueId);
    EXPECT_TRUE(s.find_input("steps")->is_widget());
    EXPECT_FALSE(s.find_input("image")->is_widget());
    EXPECT_FALSE(s.find_input("text")->is_widget());  // forceInput: a socket
    EXPECT_TRUE(s.find_input("mode")->is_widget());
    EXPECT_FALSE(s.find_input("uid")->is_widget());
    EXPECT_EQ(s.find_input("text")->section, Input::Section::Optional);
    EXPECT_EQ(s.find_input("missing"), nullptr);
    EXPECT_TRUE(s.has_hidden(Hidden::UniqueId));
    EXPECT_FALSE(s.has_hidden(Hidden::Prompt));
    EXPECT_EQ(s.display_name(), "N");
}

TEST(Schema, ComboValuesFromProvider) {
    Folders f;
    f.input = "/some/where";
    Input in = Input::combo("file", {"fallback"});
    EXPECT_EQ(in.combo_values(f), std::vector<std::string>{"fallback"});
    in.with_options_provider([](const Folders& fo) { return std::vector<std::string>{fo.input.string(), "b"}; });
    EXPECT_EQ(in.combo_values(f), (std::vector<std::string>{"/some/where", "b"}));
}

TEST(Registry, AddFindReplace) {
    NodeRegistry r;
    r.add(graph_test::def_of(NodeSchema("B").output("INT")));
    r.add(graph_test::def_of(NodeSchema("A").output("INT")));
    EXPECT_EQ(r.size(), 2u);
    EXPECT_EQ(r.names(), (std::vector<std::string>{"A", "B"}));
    ASSERT_NE(r.find("A"), nullptr);
    EXPECT_EQ(r.find("C"), nullptr);
    try {
        r.add(graph_test::def_of(NodeSchema("A")));
        FAIL() << "duplicate accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("already registered"), std::string::npos);
    }
    NodeDefinition no_exec;
    no_exec.schema = NodeSchema("D");
    EXPECT_THROW(r.add(no_exec), Error);
    r.add_or_replace(graph_test::def_of(NodeSchema("A").output("FLOAT")));
    EXPECT_EQ(r.find("A")->schema.outputs()[0].type, "FLOAT");
    EXPECT_EQ(r.size(), 2u);
}
