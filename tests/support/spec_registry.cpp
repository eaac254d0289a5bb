// Node schemas from ComfyUI's /object_info JSON (see spec_registry.h).
#include "spec_registry.h"

#include <weft/error.h>
#include <weft/node.h>

#include <fstream>
#include <mutex>

namespace weft::testing {

namespace {

using json = nlohmann::json;

Value scalar(const json& j) {
    if (j.is_boolean()) return Value(j.get<bool>());
    if (j.is_number_unsigned()) return Value(j.get<uint64_t>());
    if (j.is_number_integer()) return Value(j.get<int64_t>());
    if (j.is_number_float()) return Value(j.get<double>());
    if (j.is_string()) return Value(j.get<std::string>());
    return Value();
}

std::string text(const json& info, const char* key, const std::string& fallback) {
    auto it = info.find(key);
    return it != info.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool flag(const json& info, const char* key) {
    auto it = info.find(key);
    return it != info.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> strings(const json& arr) {
    std::vector<std::string> out;
    for (const json& e : arr)
        out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    return out;
}

Hidden hidden_kind(const std::string& t) {
    if (t == "PROMPT") return Hidden::Prompt;
    if (t == "DYNPROMPT") return Hidden::DynPrompt;
    if (t == "EXTRA_PNGINFO") return Hidden::ExtraPngInfo;
    return Hidden::UniqueId;
}

Input input_from(const std::string& name, const json& cfg) {
    const json& t = cfg.is_array() && !cfg.empty() ? cfg[0] : cfg;
    const json opts = cfg.is_array() && cfg.size() > 1 && cfg[1].is_object() ? cfg[1] : json::object();
    Input in;
    if (t.is_array()) {
        in = Input::combo(name, strings(t));
    } else if (t.is_string() && t.get<std::string>() == "COMBO") {
        in = Input::combo(name, opts.contains("options") ? strings(opts["options"]) : std::vector<std::string>{});
    } else {
        in = Input::type_of(name, t.is_string() ? t.get<std::string>() : t.dump());
    }
    if (auto it = opts.find("default"); it != opts.end()) in.default_value = scalar(*it);
    if (auto it = opts.find("min"); it != opts.end() && it->is_number()) in.min_value = scalar(*it);
    if (auto it = opts.find("max"); it != opts.end() && it->is_number()) in.max_value = scalar(*it);
    if (auto it = opts.find("step"); it != opts.end() && it->is_number()) in.step_value = it->get<double>();
    if (auto it = opts.find("round"); it != opts.end() && it->is_number()) in.round_value = it->get<double>();
    in.force_input = flag(opts, "forceInput");
    in.lazy = flag(opts, "lazy");
    in.raw_link = flag(opts, "rawLink");
    in.multiline = flag(opts, "multiline");
    in.image_upload = flag(opts, "image_upload");
    if (auto it = opts.find("control_after_generate"); it != opts.end() && it->is_boolean())
        in.control_after_generate = it->get<bool>();
    if (auto it = opts.find("tooltip"); it != opts.end() && it->is_string()) in.tooltip = it->get<std::string>();
    if (auto it = opts.find("display"); it != opts.end() && it->is_string()) in.display = it->get<std::string>();
    return in;
}

// Names of a section in input_order when given, else in the object's (sorted) key order.
std::vector<std::string> section_order(const json& info, const json& section, const char* key) {
    if (auto io = info.find("input_order"); io != info.end() && io->is_object()) {
        if (auto it = io->find(key); it != io->end() && it->is_array()) return strings(*it);
    }
    std::vector<std::string> names;
    for (auto it = section.begin(); it != section.end(); ++it) names.push_back(it.key());
    return names;
}

}  // namespace

NodeSchema schema_from_object_info(const std::string& name, const json& info) {
    NodeSchema s(name);
    s.display(text(info, "display_name", name)).category(text(info, "category", ""));
    if (auto it = info.find("python_module"); it != info.end() && it->is_string()) s.module(it->get<std::string>());
    const json inputs = info.contains("input") && info["input"].is_object() ? info["input"] : json::object();
    for (const char* sec : {"required", "optional"}) {
        auto it = inputs.find(sec);
        if (it == inputs.end() || !it->is_object()) continue;
        for (const std::string& in_name : section_order(info, *it, sec)) {
            auto cfg = it->find(in_name);
            if (cfg == it->end()) continue;
            Input in = input_from(in_name, *cfg);
            if (std::string_view(sec) == "required") s.required(std::move(in));
            else s.optional(std::move(in));
        }
    }
    if (auto it = inputs.find("hidden"); it != inputs.end() && it->is_object())
        for (auto h = it->begin(); h != it->end(); ++h)
            s.hidden(h.key(), hidden_kind(h.value().is_string() ? h.value().get<std::string>() : ""));

    auto array = [&](const char* key) { return info.contains(key) && info[key].is_array() ? info[key] : json::array(); };
    const json outs = array("output"), names = array("output_name"), lists = array("output_is_list");
    for (size_t i = 0; i < outs.size(); ++i) {
        std::string type = outs[i].is_string() ? outs[i].get<std::string>() : "COMBO";  // a combo output is its value list
        std::string oname = i < names.size() && names[i].is_string() ? names[i].get<std::string>() : type;
        bool is_list = i < lists.size() && lists[i].is_boolean() && lists[i].get<bool>();
        s.output(type, oname, is_list);
    }
    s.output_node(flag(info, "output_node"));
    s.deprecated(flag(info, "deprecated"));
    s.experimental(flag(info, "experimental"));
    return s;
}

void register_object_info(NodeRegistry& registry, const json& object_info) {
    for (auto it = object_info.begin(); it != object_info.end(); ++it) {
        NodeDefinition def{schema_from_object_info(it.key(), it.value())};
        def.execute = [](NodeContext&) {};
        registry.add_or_replace(std::move(def));
    }
}

std::filesystem::path shared_dir() {
#ifdef WEFT_SHARED_DIR
    return WEFT_SHARED_DIR;
#else
    return "../shared";
#endif
}

std::shared_ptr<const NodeRegistry> spec_registry() {
    static std::once_flag once;
    static std::shared_ptr<const NodeRegistry> registry;
    std::call_once(once, [] {
        std::ifstream f(shared_dir() / "spec" / "comfyui-nodes.json");
        if (!f) return;
        json spec = json::parse(f);
        auto r = std::make_shared<NodeRegistry>();
        register_object_info(*r, spec.contains("nodes") ? spec["nodes"] : spec);
        registry = std::move(r);
    });
    return registry;
}

}  // namespace weft::testing
