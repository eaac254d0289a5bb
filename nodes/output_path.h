// nodes/output_path.h — where saving nodes write, kept inside their folder.
//
// ComfyUI's rules for a filename prefix such as "portraits/%year%-%month%/ComfyUI": the
// %width% %height% %year% %month% %day% %hour% %minute% %second% tokens are replaced, the
// directory part becomes a subfolder of the output (or temp) folder, and the file counter
// continues after the highest "<name>_<NNNNN>_..." already there. A prefix that would leave
// the folder ("../x", "/etc/x") is refused.
#pragma once

#include <weft/folder_type.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>

namespace weft::nodes {

struct SavePath {
    std::filesystem::path folder;  // absolute folder the files go in (created)
    std::string filename;          // the prefix's last component, tokens replaced
    int64_t counter = 1;           // first free counter value
    std::string subfolder;         // folder relative to the base, "" or "a/b" (for ui results)
};

/// Replaces the date/size tokens of a filename prefix (local time `now`).
std::string expand_prefix_tokens(std::string prefix, int64_t width, int64_t height, const std::tm& now);

/// Lexical normalisation like Python's os.path.normpath for '/'-separated paths: drops "." and
/// empty parts, folds "x/.." and strips trailing slashes. "" stays "" (not ".").
std::string normalize_relative(std::string_view path);

/// Resolves `prefix` against `base_dir` (tokens expanded with the current local time, subfolder
/// created, counter found). Throws weft::Error(weft::ErrorCode::InvalidPrefix) naming the prefix when the result
/// would be outside `base_dir`.
SavePath resolve_save_path(std::string_view prefix, const std::filesystem::path& base_dir, int64_t width,
                           int64_t height);

/// The counter after the highest "<filename>_<digits>..." file in `folder` (1 when none; a
/// missing folder counts as empty).
int64_t next_file_counter(const std::filesystem::path& folder, std::string_view filename);

/// `base / relative`, refusing results outside `base` (absolute paths, ".." escapes). Lexical:
/// symlinks inside the folder are trusted, as in ComfyUI.
std::filesystem::path join_inside(const std::filesystem::path& base, std::string_view relative);

/// The folder of a ui result type (weft/folder_type.h); throws weft::Error for another name.
const std::filesystem::path& folder_of_type_or_throw(const Folders& folders, std::string_view type);

/// A file named in a node input as ComfyUI annotates them: "name.png" or "sub/name.png" in the
/// input folder, or with a " [output]", " [input]" or " [temp]" suffix choosing the folder.
/// Throws weft::Error when the name escapes its folder.
std::filesystem::path resolve_annotated_file(const Folders& folders, std::string_view name);

}  // namespace weft::nodes
