#include "nodes/model_folders.h"

#include <weft/error.h>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace weft::nodes {

namespace fs = std::filesystem;

namespace {
const std::set<std::string> kModelExtensions = {".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft"};

bool is_model_file(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return kModelExtensions.contains(ext);
}
}  // namespace

std::vector<std::string> list_model_files(const Folders& folders, const std::vector<std::string>& kinds) {
    std::set<std::string> names;
    for (const fs::path& root : folders.models)
        for (const std::string& kind : kinds) {
            const fs::path dir = root / kind;
            std::error_code ec;
            if (!fs::is_directory(dir, ec)) continue;
            for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
                if (it->is_regular_file(ec) && is_model_file(it->path())) names.insert(it->path().lexically_relative(dir).generic_string());  // lexical: a symlinked file keeps its own name
        }
    return {names.begin(), names.end()};
}

fs::path find_model_file(const Folders& folders, const std::vector<std::string>& kinds, const std::string& name) {
    const fs::path rel(name);
    if (name.empty() || rel.is_absolute() || std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; }))
        throw Error(ErrorCode::ValueNotInList, "model name '" + name + "' must be a file name inside the models folder");
    std::string looked;
    for (const fs::path& root : folders.models)
        for (const std::string& kind : kinds) {
            const fs::path p = root / kind / rel;
            std::error_code ec;
            if (fs::is_regular_file(p, ec)) return p;
            looked += (looked.empty() ? "" : ", ") + (root / kind).string();
        }
    throw Error(ErrorCode::ValueNotInList, "model file '" + name + "' not found (looked in " + looked + ")").at_path(name);
}

Input model_picker(std::string name, std::vector<std::string> kinds) {
    Input in = Input::combo(std::move(name), {});
    in.options_provider = [kinds](const Folders& f) { return list_model_files(f, kinds); };
    return in;
}

fs::path find_clip_tokenizer(const Folders& folders) {
    auto complete = [](const fs::path& dir) {
        std::error_code ec;
        return fs::is_regular_file(dir / "vocab.json", ec) && fs::is_regular_file(dir / "merges.txt", ec);
    };
    if (const char* env = std::getenv("WEFT_CLIP_TOKENIZER"); env && *env && complete(env)) return env;
    for (const fs::path& root : folders.models)
        if (complete(root / "tokenizers" / "clip")) return root / "tokenizers" / "clip";
    const fs::path want = folders.models.empty() ? fs::path("models") : folders.models.front();
    throw Error(ErrorCode::ModelLoadFailed, "CLIP's tokenizer files are missing: put vocab.json and merges.txt (CLIP's BPE vocabulary) in " +
                                         (want / "tokenizers" / "clip").string() + " or point WEFT_CLIP_TOKENIZER at their folder");
}

}  // namespace weft::nodes
