// PNG encoding and decoding through libpng (see png_io.h).
#include "media/png_io.h"

#include "media/file_bytes.h"

#include <weft/error.h>

#include <fmt/format.h>
#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstring>
#include <fstream>
#include <system_error>

namespace fs = std::filesystem;

namespace weft::media {

namespace {

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

void write_mem(png_structp png, png_bytep data, png_size_t n) {
    static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}
void flush_mem(png_structp) {}

struct MemSource {
    const uint8_t* data;
    size_t size, pos = 0;
};

void read_mem(png_structp png, png_bytep out, png_size_t n) {
    auto* src = static_cast<MemSource*>(png_get_io_ptr(png));
    if (n > src->size - src->pos) png_error(png, "truncated PNG");
    std::memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

// The libpng calls that may longjmp back on error, kept in their own frames: after setjmp
// returns a second time only the arguments (owned by the caller) are touched.
bool write_body(png_structp png, png_infop info, std::string* out, const uint8_t* pixels, int width, int height,
                int channels, std::vector<png_text>& chunks, int compress_level) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_set_write_fn(png, out, write_mem, flush_mem);
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

bool read_body(png_structp png, png_infop info, png_infop end_info, MemSource* src, PngImage& img,
               std::vector<uint8_t>& raw, std::vector<png_bytep>& rows) {
    if (setjmp(png_jmpbuf(png))) return false;
    png_set_read_fn(png, src, read_mem);
    png_read_info(png, info);
    const int color = png_get_color_type(png, info);
    const int depth = png_get_bit_depth(png, info);
    img.rgba_color_type = color == PNG_COLOR_TYPE_RGB_ALPHA;
    img.has_transparency = (color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
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
    return true;
}

}  // namespace

std::string encode_png(std::span<const uint8_t> pixels, int width, int height, int channels,
                       std::span<const PngText> texts, int compress_level) {
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 ||
        pixels.size() != size_t(width) * size_t(height) * size_t(channels))
        throw Error(ErrorCode::InvalidImage, fmt::format("Cannot encode a PNG {}x{}x{} from {} bytes", width, height, channels,
                                                 pixels.size()));
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
    std::string out;
    const bool failed = !png || !info || !write_body(png, info, &out, pixels.data(), width, height, channels, chunks, compress_level);
    png_destroy_write_struct(png ? &png : nullptr, info ? &info : nullptr);
    if (failed)
        throw Error(ErrorCode::InvalidImage, "PNG encoding failed: " + (st.message.empty() ? std::string("libpng error") : st.message));
    return out;
}

void write_png(const fs::path& path, std::span<const uint8_t> pixels, int width, int height, int channels,
               std::span<const PngText> texts, int compress_level) {
    std::string bytes;
    try {
        bytes = encode_png(pixels, width, height, channels, texts, compress_level);
    } catch (const Error& e) {
        throw std::move(Error(ErrorCode::SaveFailed, fmt::format("Cannot write PNG '{}': {}", path.string(), e.message())).at_path(path.string()));
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f)
        throw std::move(Error(ErrorCode::SaveFailed, fmt::format("Cannot open '{}' for writing: {}", path.string(),
                                                         std::generic_category().message(errno)))
                            .at_path(path.string()));
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.close();
    if (!f) {
        std::error_code ec;
        fs::remove(path, ec);
        throw std::move(Error(ErrorCode::SaveFailed, fmt::format("Cannot write PNG '{}': write error", path.string())).at_path(path.string()));
    }
}

PngImage decode_png(std::string_view bytes, std::string_view origin) {
    PngImage img;
    // The text chunks first: their reader also rejects what is not a PNG at all.
    img.texts = read_png_texts(bytes, origin);
    ErrorState st;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    png_infop end_info = png ? png_create_info_struct(png) : nullptr;
    std::vector<uint8_t> raw;
    std::vector<png_bytep> rows;
    MemSource src{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    const bool failed = !png || !info || !end_info || !read_body(png, info, end_info, &src, img, raw, rows);
    png_destroy_read_struct(png ? &png : nullptr, info ? &info : nullptr, end_info ? &end_info : nullptr);
    if (failed)
        throw std::move(Error(ErrorCode::InvalidImage, fmt::format("Cannot read PNG '{}': {}", origin,
                                                           st.message.empty() ? std::string("not a PNG file") : st.message))
                            .at_path(std::string(origin)));
    return img;
}

PngImage read_png(const fs::path& path) { return decode_png(read_file_bytes(path), path.string()); }

}  // namespace weft::media
