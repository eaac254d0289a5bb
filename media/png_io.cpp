#include "media/png_io.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <cstdio>
#include <memory>
#include <system_error>

namespace fs = std::filesystem;

namespace weft::nodes {

namespace {

struct FileCloser {
    void operator()(FILE* f) const { if (f) std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// libpng reports errors through longjmp by default; we record the message and longjmp back to
// the setjmp in the caller, which turns it into a weft::Error after its cleanup.
struct ErrorState {
    std::string message;
};

void on_error(png_structp png, png_const_charp msg) {
    auto* st = static_cast<ErrorState*>(png_get_error_ptr(png));
    if (st) st->message = msg ? msg : "libpng error";
    png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}

bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

// The libpng calls that may longjmp back on error, kept in their own frames: after setjmp
// returns a second time only the arguments (owned by the caller) are touched.
bool write_body(png_structp png, png_infop info, FILE* file, const uint8_t* pixels, int width, int height,
                int channels, std::vector<png_text>& chunks, int compress_level) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_init_io(png, file);
    png_set_compression_level(png, compress_level);
    static constexpr int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                          PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, color_types[channels - 1], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (!chunks.empty()) png_set_text(png, info, chunks.data(), int(chunks.size()));
    png_write_info(png, info);
    const size_t stride = size_t(width) * size_t(channels);
    for (int y = 0; y < height; ++y) png_write_row(png, const_cast<png_bytep>(pixels + size_t(y) * stride));
    png_write_end(png, info);
    return true;
}

bool read_body(png_structp png, png_infop info, png_infop end_info, FILE* file, PngImage& img,
               std::vector<uint8_t>& raw, std::vector<png_bytep>& rows) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_init_io(png, file);
    png_read_info(png, info);
    const int color = png_get_color_type(png, info);
    const int depth = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_swap(png);  // host order (little-endian machines)
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    img.width = int(png_get_image_width(png, info));
    img.height = int(png_get_image_height(png, info));
    img.channels = png_get_channels(png, info);
    img.bit_depth = png_get_bit_depth(png, info);
    const size_t rowbytes = png_get_rowbytes(png, info);
    raw.resize(rowbytes * size_t(img.height));
    rows.resize(size_t(img.height));
    for (int y = 0; y < img.height; ++y) rows[size_t(y)] = raw.data() + size_t(y) * rowbytes;
    png_read_image(png, rows.data());
    png_read_end(png, end_info);
    const size_t row_samples = size_t(img.width) * size_t(img.channels);
    img.pixels.resize(row_samples * size_t(img.height));
    for (int y = 0; y < img.height; ++y) {
        const uint8_t* row = raw.data() + size_t(y) * rowbytes;
        uint16_t* dst = img.pixels.data() + size_t(y) * row_samples;
        if (img.bit_depth == 16) {
            for (size_t x = 0; x < row_samples; ++x) std::memcpy(&dst[x], row + 2 * x, 2);
        } else {
            for (size_t x = 0; x < row_samples; ++x) dst[x] = row[x];
        }
    }
    for (png_infop i : {info, end_info}) {
        png_textp text = nullptr;
        const int n = png_get_text(png, i, &text, nullptr);
        for (int k = 0; k < n; ++k) {
            const size_t len = text[k].compression > 0 ? text[k].itxt_length : text[k].text_length;
            img.texts.push_back({text[k].key, std::string(text[k].text, len)});
        }
    }
    return true;
}

}  // namespace

void write_png(const fs::path& path, std::span<const uint8_t> pixels, int width, int height, int channels,
               std::span<const PngText> texts, int compress_level) {
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 ||
        pixels.size() != size_t(width) * size_t(height) * size_t(channels))
        throw Error("save_failed", fmt::format("Cannot write PNG {}x{}x{} from {} bytes", width, height, channels,
                                               pixels.size()))
            .at_path(path.string());
    File file(std::fopen(path.c_str(), "wb"));
    if (!file)
        throw Error("save_failed", fmt::format("Cannot open '{}' for writing: {}", path.string(),
                                               std::generic_category().message(errno)))
            .at_path(path.string());

    ErrorState st;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &st, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    std::vector<png_text> chunks;
    for (const PngText& t : texts) {
        if (t.key.empty() || t.key.size() > 79) continue;  // not a valid PNG keyword
        png_text c{};
        c.compression = is_ascii(t.text) ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
        c.key = const_cast<char*>(t.key.c_str());
        c.text = const_cast<char*>(t.text.c_str());
        c.text_length = c.compression == PNG_TEXT_COMPRESSION_NONE ? t.text.size() : 0;
        c.itxt_length = c.compression == PNG_ITXT_COMPRESSION_NONE ? t.text.size() : 0;
        chunks.push_back(c);
    }
    const bool failed = !png || !info ||
                        !write_body(png, info, file.get(), pixels.data(), width, height, channels, chunks, compress_level);
    png_destroy_write_struct(png ? &png : nullptr, info ? &info : nullptr);
    const bool close_failed = std::fclose(file.release()) != 0;
    if (failed || close_failed) {
        std::error_code ec;
        fs::remove(path, ec);
        throw Error("save_failed", fmt::format("Cannot write PNG '{}': {}", path.string(),
                                               st.message.empty() ? std::string("write error") : st.message))
            .at_path(path.string());
    }
}

PngImage read_png(const fs::path& path) {
    File file(std::fopen(path.c_str(), "rb"));
    if (!file)
        throw Error("file_not_found", fmt::format("Cannot open '{}': {}", path.string(),
                                                  std::generic_category().message(errno)))
            .at_path(path.string());
    PngImage img;
    ErrorState st;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    png_infop end_info = png ? png_create_info_struct(png) : nullptr;
    std::vector<uint8_t> raw;
    std::vector<png_bytep> rows;
    const bool failed = !png || !info || !end_info || !read_body(png, info, end_info, file.get(), img, raw, rows);
    png_destroy_read_struct(png ? &png : nullptr, info ? &info : nullptr, end_info ? &end_info : nullptr);
    if (failed)
        throw Error("invalid_image", fmt::format("Cannot read PNG '{}': {}", path.string(),
                                                 st.message.empty() ? std::string("not a PNG file") : st.message))
            .at_path(path.string());
    return img;
}

std::string json_ascii(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    auto escape = [&](uint32_t cp) { out += fmt::format("\\u{:04x}", cp); };
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += char(c);
            ++i;
            continue;
        }
        int len = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
        uint32_t cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0Fu : c & 0x1Fu;
        bool valid = len > 0 && i + size_t(len) <= s.size();
        for (int k = 1; valid && k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + size_t(k)]);
            if ((cc & 0xC0) != 0x80) valid = false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (valid && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                      (cp >= 0xD800 && cp <= 0xDFFF)))
            valid = false;
        if (!valid) {
            escape(0xFFFD);
            ++i;
            continue;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            escape(0xD800 + (cp >> 10));
            escape(0xDC00 + (cp & 0x3FF));
        } else {
            escape(cp);
        }
        i += size_t(len);
    }
    return out;
}

}  // namespace weft::nodes
