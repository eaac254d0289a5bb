// GET /object_info, /object_info/{class}, /system_stats, /embeddings, /models, /models/{folder},
// /features, /extensions.
#include "http_response.h"
#include "server_state.h"

#include <weft/json.h>

#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <algorithm>
#include <set>

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.1.0"
#endif

namespace weft::server {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ComfyUI's model folder types (folder_paths.folder_names_and_paths) and their extensions.
const std::vector<std::string>& model_folder_names() {
    static const std::vector<std::string> names = {
        "checkpoints", "configs",        "loras",         "vae",         "text_encoders", "diffusion_models", "clip_vision",
        "style_models", "embeddings",    "diffusers",     "vae_approx",  "controlnet",    "gligen",           "upscale_models",
        "hypernetworks", "photomaker",   "classifiers",   "model_patches", "audio_encoders"};
    return names;
}

// Legacy folder names ComfyUI also searches for a type.
std::vector<std::string> folder_aliases(const std::string& type) {
    if (type == "text_encoders") return {"text_encoders", "clip"};
    if (type == "diffusion_models") return {"diffusion_models", "unet"};
    if (type == "controlnet") return {"controlnet", "t2i_adapter"};
    return {type};
}

bool is_model_file(const fs::path& p, const std::string& type) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (type == "configs") return ext == ".yaml";
    if (type == "diffusers") return true;
    static const std::set<std::string> exts = {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft", ".gguf"};
    return exts.count(ext) != 0;
}

// Files of `type` under every model root, as paths relative to their folder ('/'-separated), sorted.
std::vector<std::string> model_files(const Folders& folders, const std::string& type) {
    std::set<std::string> out;
    for (const fs::path& root : folders.models)
        for (const std::string& name : folder_aliases(type)) {
            const fs::path dir = root / name;
            std::error_code ec;
            if (!fs::is_directory(dir, ec)) continue;
            for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (!it->is_regular_file(ec) || !is_model_file(it->path(), type)) continue;
                out.insert(fs::relative(it->path(), dir, ec).generic_string());
            }
        }
    return {out.begin(), out.end()};
}

json system_stats(const ServerState& s) {
    struct sysinfo info {};
    sysinfo(&info);
    const uint64_t unit = info.mem_unit ? info.mem_unit : 1;
    const uint64_t ram_total = uint64_t(info.totalram) * unit;
    const uint64_t ram_free = (uint64_t(info.freeram) + uint64_t(info.bufferram)) * unit;
    struct utsname u {};
    uname(&u);
    const std::string os = std::string(u.sysname) == "Linux" ? "posix" : u.sysname;
    json system = {{"os", os},
                   {"ram_total", ram_total},
                   {"ram_free", ram_free},
                   {"comfyui_version", std::string("weft ") + WEFT_VERSION},
                   {"required_frontend_version", ""},
                   {"installed_templates_version", ""},
                   {"required_templates_version", ""},
                   {"python_version", "none (weft is native C++)"},
                   {"pytorch_version", "none"},
                   {"embedded_python", false},
                   {"argv", json::array({"weft", "serve"})}};
    // Everything runs on the CPU: one device whose "VRAM" is the machine's memory.
    json device = {{"name", "cpu"},           {"type", "cpu"},           {"index", 0},
                   {"vram_total", ram_total}, {"vram_free", ram_free},   {"torch_vram_total", 0},
                   {"torch_vram_free", 0}};
    return {{"system", std::move(system)}, {"devices", json::array({std::move(device)})}};
}

}  // namespace

void add_info_routes(ServerState& s) {
    s.router.add(http::verb::get, "/object_info", [&s](const RouteRequest&) {
        return json_text_response(http::status::ok, object_info_json(s.worker.registry(), s.config.folders));
    });
    s.router.add(http::verb::get, "/object_info/{class}", [&s](const RouteRequest& r) {
        return json_text_response(http::status::ok, object_info_json(s.worker.registry(), s.config.folders, r.param(0)));
    });
    s.router.add(http::verb::get, "/system_stats", [&s](const RouteRequest&) { return json_response(http::status::ok, system_stats(s)); });
    s.router.add(http::verb::get, "/embeddings", [&s](const RouteRequest&) {
        json names = json::array();
        for (const std::string& f : model_files(s.config.folders, "embeddings")) {
            const size_t dot = f.rfind('.');
            names.push_back(dot == std::string::npos ? f : f.substr(0, dot));
        }
        return json_response(http::status::ok, names);
    });
    s.router.add(http::verb::get, "/models", [](const RouteRequest&) { return json_response(http::status::ok, json(model_folder_names())); });
    s.router.add(http::verb::get, "/models/{folder}", [&s](const RouteRequest& r) {
        const auto& names = model_folder_names();
        if (std::find(names.begin(), names.end(), r.param(0)) == names.end())
            throw HttpError{http::status::not_found, "not_found", "unknown model folder '" + r.param(0) + "'"};
        return json_response(http::status::ok, json(model_files(s.config.folders, r.param(0))));
    });
    s.router.add(http::verb::get, "/features", [&s](const RouteRequest&) {
        return json_response(http::status::ok, json{{"supports_preview_metadata", true}, {"max_upload_size", s.config.max_body_bytes}});
    });
    s.router.add(http::verb::get, "/extensions", [](const RouteRequest&) { return json_response(http::status::ok, json::array()); });
}

}  // namespace weft::server
