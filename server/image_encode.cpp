#include "image_encode.h"

#include <weft/error.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace weft::server {

namespace {

void check_size(std::span<const uint8_t> pixels, int width, int height, int channels, const char* what) {
    if (width <= 0 || height <= 0 || pixels.size() != size_t(width) * size_t(height) * size_t(channels))
        throw Error("invalid_image", std::string(what) + ": the pixel buffer does not match the image size");
}

struct JpegError {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
};

void jpeg_fail(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1); }

void png_write_mem(png_structp png, png_bytep data, png_size_t n) {
    static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}
void png_flush_mem(png_structp) {}
void png_quiet_error(png_structp png, png_const_charp) { png_longjmp(png, 1); }
void png_quiet_warning(png_structp, png_const_charp) {}

}  // namespace

std::string encode_jpeg(std::span<const uint8_t> rgb, int width, int height, int quality) {
    check_size(rgb, width, height, 3, "JPEG");
    jpeg_compress_struct cinfo;
    JpegError err;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        std::free(buffer);
        throw Error("invalid_image", "JPEG encoding failed");
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = JDIMENSION(width);
    cinfo.image_height = JDIMENSION(height);
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);  // YCbCr, 2x2 luma sampling (4:2:0)
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(rgb.data() + size_t(cinfo.next_scanline) * size_t(width) * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    std::string out(reinterpret_cast<const char*>(buffer), size);
    std::free(buffer);
    return out;
}

std::string encode_webp(std::span<const uint8_t> pixels, int width, int height, int channels, int quality) {
    if (channels != 3 && channels != 4) throw Error("invalid_image", "WebP: 3 or 4 channels expected");
    check_size(pixels, width, height, channels, "WebP");
    uint8_t* out = nullptr;
    const size_t n = channels == 4 ? WebPEncodeRGBA(pixels.data(), width, height, width * 4, float(quality), &out)
                                   : WebPEncodeRGB(pixels.data(), width, height, width * 3, float(quality), &out);
    std::unique_ptr<uint8_t, void (*)(void*)> owned(out, WebPFree);
    if (n == 0) throw Error("invalid_image", "WebP encoding failed");
    return std::string(reinterpret_cast<const char*>(out), n);
}

namespace {

// The libpng calls, apart from the C++ objects they fill: a longjmp out of libpng must not cross
// frames that own them.
bool write_png_rows(std::string* out, png_bytep* rows, int width, int height, int color_type, png_text* texts, int n_texts,
                    int compress_level) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_quiet_error, png_quiet_warning);
    if (!png) return false;
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, out, png_write_mem, png_flush_mem);
    png_set_compression_level(png, compress_level);
    png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (n_texts > 0) png_set_text(png, info, texts, n_texts);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return true;
}

}  // namespace

std::string encode_png(std::span<const uint8_t> pixels, int width, int height, int channels, std::span<const PngTextChunk> texts,
                       int compress_level) {
    static constexpr int kColorTypes[5] = {-1, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4) throw Error("invalid_image", "PNG: 1 to 4 channels expected");
    check_size(pixels, width, height, channels, "PNG");
    std::vector<png_text> chunks(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        png_text& t = chunks[i];
        t.compression = texts[i].international ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
        t.key = const_cast<char*>(texts[i].key.c_str());
        t.text = const_cast<char*>(texts[i].text.c_str());
        if (texts[i].international) t.itxt_length = texts[i].text.size();
        else t.text_length = texts[i].text.size();
        t.lang = nullptr;
        t.lang_key = nullptr;
    }
    std::vector<png_bytep> rows(static_cast<size_t>(height));
    for (int y = 0; y < height; ++y) rows[size_t(y)] = const_cast<png_bytep>(pixels.data() + size_t(y) * size_t(width) * size_t(channels));
    std::string out;
    if (!write_png_rows(&out, rows.data(), width, height, kColorTypes[channels], chunks.data(), int(chunks.size()), compress_level))
        throw Error("invalid_image", "PNG encoding failed");
    return out;
}

}  // namespace weft::server
