// core/folder_type.cpp — the one table from ComfyUI's folder type names to a session's folders.
#include <weft/folder_type.h>

namespace weft {

const std::filesystem::path* folder_of_type(const Folders& folders, std::string_view type) {
    if (type == "output") return &folders.output;
    if (type == "input") return &folders.input;
    if (type == "temp") return &folders.temp;
    return nullptr;
}

}  // namespace weft
