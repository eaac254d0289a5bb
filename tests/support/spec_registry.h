// tests/support/spec_registry.h — node schemas from ComfyUI's GET /object_info JSON.
//
// Tests that need ComfyUI's exact node interfaces (the UI-format converter compared with prompts
// ComfyUI made) register them from ../shared/spec/comfyui-nodes.json. The nodes do nothing when
// executed: they exist for parsing, conversion and validation only.
#pragma once

#include <weft/registry.h>
#include <weft/schema.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace weft::testing {

/// The schema one /object_info entry describes: inputs in `input_order` (required, optional,
/// hidden), options (default/min/max/step/round/forceInput/lazy/rawLink/multiline/
/// control_after_generate/image_upload/tooltip/display), combos from a value list or
/// "COMBO" + options, outputs with names and list flags, output_node/deprecated/experimental.
NodeSchema schema_from_object_info(const std::string& name, const nlohmann::json& info);

/// Registers every entry of an /object_info object ({class: info}) with an execute function that
/// sets no output. Entries whose name is taken are replaced.
void register_object_info(NodeRegistry& registry, const nlohmann::json& object_info);

/// The shared reference folder (compile definition WEFT_SHARED_DIR).
std::filesystem::path shared_dir();

/// A registry of every node in shared/spec/comfyui-nodes.json, or nullptr when that file is
/// absent (tests then GTEST_SKIP). Built once and reused.
std::shared_ptr<const NodeRegistry> spec_registry();

}  // namespace weft::testing
