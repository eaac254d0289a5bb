// nodes/model_folders.h — ComfyUI's models layout: files under <root>/<kind>/ for each models root
// (checkpoints/, loras/, vae/, clip/, unet/, controlnet/, upscale_models/, ...).
#pragma once

#include <weft/folders.h>
#include <weft/schema.h>

#include <filesystem>
#include <string>
#include <vector>

namespace weft::nodes {

/// Model files (relative names, subfolders with '/') under every root's `kinds` folders, sorted.
std::vector<std::string> list_model_files(const Folders& folders, const std::vector<std::string>& kinds);

/// The full path of `name` in the first root whose `kinds` folder holds it; throws weft::Error
/// (listing where it looked) when none does or the name escapes the folder.
std::filesystem::path find_model_file(const Folders& folders, const std::vector<std::string>& kinds, const std::string& name);

/// A COMBO input listing the model files of `kinds`, validated at run time (a file that appeared
/// after the list was made is accepted).
Input model_picker(std::string name, std::vector<std::string> kinds);

/// The folder of CLIP's BPE files (vocab.json, merges.txt): $WEFT_CLIP_TOKENIZER, else
/// <root>/tokenizers/clip of the first models root that has them; throws weft::Error saying where
/// to put them when absent.
std::filesystem::path find_clip_tokenizer(const Folders& folders);

}  // namespace weft::nodes
