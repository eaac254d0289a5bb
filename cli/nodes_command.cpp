#include "nodes_command.h"

#include "exit_codes.h"

#include <weft/json.h>
#include <weft/registry.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

namespace weft::cli {

namespace {

// "INT default=20 min=1 max=10000" or "one of [euler, ddim, ...]".
std::string describe_input(const nlohmann::json& spec) {
    if (!spec.is_array() || spec.empty()) return spec.dump();
    std::string s;
    const nlohmann::json& type = spec[0];
    if (type.is_array()) {
        std::string values;
        for (size_t i = 0; i < type.size() && i < 8; ++i) values += (i ? ", " : "") + (type[i].is_string() ? type[i].get<std::string>() : type[i].dump());
        if (type.size() > 8) values += fmt::format(", ... ({} in all)", type.size());
        s = "one of [" + values + "]";
    } else {
        s = type.is_string() ? type.get<std::string>() : type.dump();
    }
    if (spec.size() > 1 && spec[1].is_object())
        for (const char* key : {"default", "min", "max", "step", "multiline"})
            if (spec[1].contains(key)) s += fmt::format(" {}={}", key, spec[1][key].dump());
    return s;
}

void print_node(const std::string& name, const nlohmann::json& info) {
    std::printf("%s (\"%s\", category %s%s)\n", name.c_str(), info.value("display_name", name).c_str(),
                info.value("category", "").c_str(), info.value("output_node", false) ? ", output node" : "");
    const nlohmann::json& inputs = info["input"];
    for (const char* section : {"required", "optional", "hidden"}) {
        if (!inputs.contains(section)) continue;
        const nlohmann::json& sec = inputs[section];
        // input_order keeps the declared order (JSON objects may come back sorted).
        std::vector<std::string> order;
        if (info.contains("input_order") && info["input_order"].contains(section))
            order = info["input_order"][section].get<std::vector<std::string>>();
        else
            for (const auto& [k, v] : sec.items()) order.push_back(k);
        for (const std::string& in : order)
            if (sec.contains(in)) std::printf("  %-8s %-20s %s\n", section, in.c_str(), describe_input(sec[in]).c_str());
    }
    const nlohmann::json outputs = info.value("output", nlohmann::json::array());
    const nlohmann::json names = info.value("output_name", nlohmann::json::array());
    for (size_t i = 0; i < outputs.size(); ++i)
        std::printf("  output   %-20s %s\n", i < names.size() ? names[i].get<std::string>().c_str() : "",
                    outputs[i].is_string() ? outputs[i].get<std::string>().c_str() : outputs[i].dump().c_str());
}

}  // namespace

void add_nodes_command(CLI::App& app, NodesArgs& a) {
    CLI::App* cmd = app.add_subcommand("nodes", "List the node types (ComfyUI's /object_info with --json)");
    cmd->add_option("name", a.name, "Show one node type")->type_name("NAME");
    cmd->add_flag("--json", a.json, "Print ComfyUI's GET /object_info JSON");
    a.folders.add_to(*cmd);
}

int nodes_command(const NodesArgs& a) {
    const auto registry = builtin_registry();
    const Folders folders = a.folders.folders();
    if (!a.name.empty() && !registry->find(a.name))
        throw CliError(kExitInvalid, fmt::format("no node type named '{}' (see `weft nodes`)", a.name));
    const std::string text = object_info_json(*registry, folders, a.name, a.json ? 2 : -1);
    if (a.json) {
        std::printf("%s\n", text.c_str());
        return kExitOk;
    }
    const nlohmann::json info = nlohmann::json::parse(text);
    if (!a.name.empty()) {
        print_node(a.name, info.at(a.name));
        return kExitOk;
    }
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_category;
    for (const auto& [name, node] : info.items())
        by_category[node.value("category", "")].emplace_back(name, node.value("display_name", name));
    for (const auto& [category, nodes] : by_category) {
        std::printf("%s\n", category.empty() ? "(no category)" : category.c_str());
        for (const auto& [name, display] : nodes)
            std::printf("  %-32s %s\n", name.c_str(), display == name ? "" : display.c_str());
    }
    std::printf("%zu node types\n", registry->size());
    return kExitOk;
}

}  // namespace weft::cli
