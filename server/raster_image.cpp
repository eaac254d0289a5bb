#include "raster_image.h"

#include <weft/error.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/demux.h>

#include <csetjmp>
#include <cstring>
#include <memory>

namespace weft::server {

namespace {

Error invalid(const std::string& why) { return Error("invalid_image", why); }

// ---- PNG (libpng; errors longjmp back to the reader) ----

struct PngSource {
    const uint8_t* data;
    size_t size, pos = 0;
};

void png_read_mem(png_structp png, png_bytep out, png_size_t n) {
    auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
    if (src->pos + n > src->size) png_error(png, "truncated PNG");
    std::memcpy(out, src->data + src->pos, n);
    src->pos += n;
}

void png_collect_texts(png_structp png, png_infop info, std::vector<PngTextChunk>& out) {
    png_textp texts = nullptr;
    int n = 0;
    png_get_text(png, info, &texts, &n);
    for (int i = 0; i < n; ++i)
        out.push_back({texts[i].key ? texts[i].key : "", texts[i].text ? std::string(texts[i].text, texts[i].itxt_length ? texts[i].itxt_length : texts[i].text_length) : "",
                       texts[i].compression >= PNG_ITXT_COMPRESSION_NONE});
}

// Errors end the read quietly (the caller reports them); warnings are ignored.
void png_quiet_error(png_structp png, png_const_charp) { png_longjmp(png, 1); }
void png_quiet_warning(png_structp, png_const_charp) {}

RasterImage decode_png(std::string_view bytes) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, png_quiet_error, png_quiet_warning);
    if (!png) throw invalid("cannot start the PNG reader");
    png_infop info = png_create_info_struct(png), end = png_create_info_struct(png);
    RasterImage img;
    std::vector<png_bytep> rows;
    PngSource src{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, &end);
        throw invalid("corrupt PNG data");
    }
    png_set_read_fn(png, &src, png_read_mem);
    png_read_info(png, info);
    const int color = png_get_color_type(png, info);
    img.rgba_mode = color == PNG_COLOR_TYPE_RGB_ALPHA;
    img.has_transparency = (color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    // Everything becomes 8-bit RGBA: palette and tRNS expanded, 16-bit samples cut to their high
    // byte (as Pillow reduces them), gray replicated, a missing alpha filled with 255.
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    img.width = int(png_get_image_width(png, info));
    img.height = int(png_get_image_height(png, info));
    if (png_get_rowbytes(png, info) != size_t(img.width) * 4) png_error(png, "unexpected PNG layout");
    img.rgba.resize(size_t(img.width) * size_t(img.height) * 4);
    rows.resize(size_t(img.height));
    for (int y = 0; y < img.height; ++y) rows[size_t(y)] = img.rgba.data() + size_t(y) * size_t(img.width) * 4;
    png_read_image(png, rows.data());
    png_read_end(png, end);
    png_collect_texts(png, info, img.texts);  // chunks before the image data
    png_collect_texts(png, end, img.texts);   // and after it
    png_destroy_read_struct(&png, &info, &end);
    return img;
}

// ---- JPEG (libjpeg) ----

struct JpegError {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
};

void jpeg_fail(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1); }
void jpeg_quiet(j_common_ptr, int) {}

RasterImage decode_jpeg(std::string_view bytes) {
    jpeg_decompress_struct cinfo;
    JpegError err;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    err.mgr.emit_message = jpeg_quiet;
    RasterImage img;
    std::vector<uint8_t> row;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        throw invalid("corrupt JPEG data");
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        throw invalid("CMYK JPEG images are not supported here");
    }
    cinfo.out_color_space = JCS_RGB;  // gray is replicated by the library
    jpeg_start_decompress(&cinfo);
    img.width = int(cinfo.output_width);
    img.height = int(cinfo.output_height);
    img.rgba.resize(size_t(img.width) * size_t(img.height) * 4);
    row.resize(size_t(img.width) * 3);
    while (cinfo.output_scanline < cinfo.output_height) {
        const size_t y = cinfo.output_scanline;
        JSAMPROW r = row.data();
        jpeg_read_scanlines(&cinfo, &r, 1);
        uint8_t* o = img.rgba.data() + y * size_t(img.width) * 4;
        for (int x = 0; x < img.width; ++x) {
            o[x * 4 + 0] = row[size_t(x) * 3 + 0];
            o[x * 4 + 1] = row[size_t(x) * 3 + 1];
            o[x * 4 + 2] = row[size_t(x) * 3 + 2];
            o[x * 4 + 3] = 255;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return img;
}

// ---- WebP (libwebp; animations through the demuxer, first frame) ----

RasterImage decode_webp(std::string_view bytes) {
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    WebPBitstreamFeatures f;
    if (WebPGetFeatures(data, bytes.size(), &f) != VP8_STATUS_OK) throw invalid("corrupt WebP data");
    RasterImage img;
    img.has_transparency = img.rgba_mode = f.has_alpha != 0;
    if (!f.has_animation) {
        int w = 0, h = 0;
        std::unique_ptr<uint8_t, void (*)(void*)> px(WebPDecodeRGBA(data, bytes.size(), &w, &h), WebPFree);
        if (!px) throw invalid("corrupt WebP data");
        img.width = w;
        img.height = h;
        img.rgba.assign(px.get(), px.get() + size_t(w) * size_t(h) * 4);
        return img;
    }
    WebPAnimDecoderOptions opts;
    WebPAnimDecoderOptionsInit(&opts);
    opts.color_mode = MODE_RGBA;
    const WebPData wd{data, bytes.size()};
    std::unique_ptr<WebPAnimDecoder, void (*)(WebPAnimDecoder*)> dec(WebPAnimDecoderNew(&wd, &opts), WebPAnimDecoderDelete);
    WebPAnimInfo info;
    uint8_t* frame = nullptr;
    int timestamp = 0;
    if (!dec || !WebPAnimDecoderGetInfo(dec.get(), &info) || !WebPAnimDecoderGetNext(dec.get(), &frame, &timestamp))
        throw invalid("corrupt animated WebP data");
    img.width = int(info.canvas_width);
    img.height = int(info.canvas_height);
    img.rgba.assign(frame, frame + size_t(img.width) * size_t(img.height) * 4);
    return img;
}

}  // namespace

std::vector<uint8_t> RasterImage::rgb() const {
    std::vector<uint8_t> out(size_t(width) * size_t(height) * 3);
    for (size_t i = 0, n = out.size() / 3; i < n; ++i)
        for (size_t c = 0; c < 3; ++c) out[i * 3 + c] = rgba[i * 4 + c];
    return out;
}

std::vector<uint8_t> RasterImage::alpha() const {
    std::vector<uint8_t> out(size_t(width) * size_t(height));
    for (size_t i = 0; i < out.size(); ++i) out[i] = rgba[i * 4 + 3];
    return out;
}

RasterImage decode_raster(std::string_view bytes) {
    auto starts = [&](std::string_view magic, size_t at = 0) { return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic; };
    if (starts("\x89PNG\r\n\x1a\n")) return decode_png(bytes);
    if (starts("\xff\xd8\xff")) return decode_jpeg(bytes);
    if (starts("RIFF") && starts("WEBP", 8)) return decode_webp(bytes);
    throw invalid("not a PNG, JPEG or WebP image");
}

}  // namespace weft::server
