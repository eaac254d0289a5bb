// include/weft/folders.h — where nodes read inputs, write outputs and find models.
#pragma once

#include <filesystem>
#include <vector>

namespace weft {

/// The folders a session works in, laid out like ComfyUI's. Nodes never write outside `output`
/// and `temp`.
struct Folders {
    std::filesystem::path input = "input";
    std::filesystem::path output = "output";
    std::filesystem::path temp = "temp";
    std::filesystem::path user = "user";
    /// Model roots searched in order; each holds checkpoints/, loras/, vae/, ... subfolders.
    std::vector<std::filesystem::path> models = {"models"};
};

}  // namespace weft
