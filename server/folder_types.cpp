#include "folder_types.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

namespace weft::server {

void take_type_annotation(std::string& filename, std::string& type) {
    for (std::string_view t : kFolderTypes) {
        const std::string suffix = " [" + std::string(t) + "]";
        if (filename.size() > suffix.size() && filename.ends_with(suffix)) {
            filename.resize(filename.size() - suffix.size());
            type = t;
        }
    }
}


std::optional<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return std::move(ss).str();
}

bool write_file(const std::filesystem::path& path, std::string_view data) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    return static_cast<bool>(out.flush());
}

std::string mime_type(const std::filesystem::path& path) {
    static const std::map<std::string, std::string> kTypes = {
        {".png", "image/png"},   {".jpg", "image/jpeg"},        {".jpeg", "image/jpeg"},      {".webp", "image/webp"},
        {".gif", "image/gif"},   {".bmp", "image/bmp"},         {".svg", "image/svg+xml"},    {".mp4", "video/mp4"},
        {".webm", "video/webm"}, {".mov", "video/quicktime"},   {".wav", "audio/wav"},        {".mp3", "audio/mpeg"},
        {".flac", "audio/flac"}, {".ogg", "audio/ogg"},         {".json", "application/json"}, {".txt", "text/plain"},
        {".html", "text/html"},  {".js", "text/javascript"},    {".mjs", "text/javascript"},  {".css", "text/css"},
        {".ico", "image/x-icon"}, {".woff2", "font/woff2"},     {".woff", "font/woff"},       {".ttf", "font/ttf"},
        {".map", "application/json"}, {".latent", "application/octet-stream"}};
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto it = kTypes.find(ext);
    return it == kTypes.end() ? "application/octet-stream" : it->second;
}

}  // namespace weft::server
